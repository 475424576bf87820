"""What this machine and the benchmark's clients allow *any* server: the client-bound
workloads against a server that does nothing.

    .venv/bin/python bench/ceiling.py [--quick]

The server here is trackyard's HTTP stack (uvicorn with httptools and uvloop, one process)
around an app that stores nothing: it answers `experiments/create` and `runs/create` with
made-up ids and every other request with `{}`. Whatever a real server does costs more, so
these figures bound what any server reaches in `log-metric`, `client-loop` and `concurrent`
on this machine. Divided by mlflow server's figures from a `bench/run.py` run of the same
hour, they bound the ratios those workloads can show. Nothing is written to the docs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from servers import free_port, health_ok
from workloads import (
    FULL,
    QUICK,
    Target,
    client_loop_calls_per_s,
    concurrent_log_metric,
    log_metric_sequential,
    new_http_client,
)

_EXPERIMENT = b'{"experiment_id":"1"}'
_RUN = b'{"run":{"info":{"run_id":"0123456789abcdef0123456789abcdef","experiment_id":"1"}}}'
_ANSWERS = {"/api/2.0/mlflow/experiments/create": _EXPERIMENT, "/api/2.0/mlflow/runs/create": _RUN}


async def app(scope, receive, send) -> None:
    """Read the request, answer at once."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    body = _ANSWERS.get(scope["path"], b"{}")
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    sizes = QUICK if parser.parse_args(argv).quick else FULL
    port = free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "ceiling:app", "--port", str(port)]
    quiet = ["--log-level", "warning", "--no-access-log"]  # as trackyard server runs it
    server = subprocess.Popen([*uvicorn, *quiet], cwd=sys.path[0])
    try:
        deadline = time.monotonic() + 30
        while not health_ok(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the do-nothing server did not start")
            time.sleep(0.05)
        base_url = f"http://127.0.0.1:{port}"
        with new_http_client(base_url) as http:
            target = Target("do-nothing server", base_url, http, sizes, sys.executable, lambda: 0.0)
            measurements = [
                *log_metric_sequential(target),
                *concurrent_log_metric(target),
            ]
            calls = sizes.client_loop_calls
            loop_rate = client_loop_calls_per_s(target, "0123456789abcdef0123456789abcdef", calls)
        for measurement in measurements:
            print(f"{measurement.label}: {measurement.value:,.2f} {measurement.unit}")
        print(f"MlflowClient.log_metric x{calls}: {loop_rate:,.2f} ops/s")
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
