"""What this machine and the benchmark's clients allow *any* server: the client-bound
workloads against a server that does nothing.

    .venv/bin/python bench/ceiling.py [--quick]

The server here is trackyard's HTTP stack (uvicorn with httptools and uvloop, one process)
around an app that stores nothing: it answers `experiments/create` and `runs/create` with
made-up ids, `experiments/get` with an active experiment, `/version` with mlflow's, a trace's
info by echoing it back marked as stored (so the client uploads no traces.json), and every
other request, OTLP spans included, with `{}`. Whatever a real server does costs more, so
these figures bound what any server reaches in `log-metric`, `client-loop`, `concurrent`
and `trace-client` on this machine. Divided by mlflow server's figures from a `bench/run.py`
run of the same hour, they bound the ratios those workloads can show. Nothing is written to
the docs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from servers import MLFLOW_VERSION, free_port, health_ok
from traces import stock_client_traces_per_s
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
_ACTIVE = b'{"experiment":{"experiment_id":"1","name":"ceiling","lifecycle_stage":"active"}}'
_RUN = b'{"run":{"info":{"run_id":"0123456789abcdef0123456789abcdef","experiment_id":"1"}}}'
_ANSWERS = {
    "/api/2.0/mlflow/experiments/create": _EXPERIMENT,
    "/api/2.0/mlflow/experiments/get": _ACTIVE,
    "/api/2.0/mlflow/runs/create": _RUN,
    "/version": MLFLOW_VERSION.encode(),
}
_TRACE_INFO = "/api/3.0/mlflow/traces"
_STORED = {"key": "mlflow.trace.spansLocation", "value": "TRACKING_STORE"}


def _answer(path: str, body: bytes) -> bytes:
    if path == _TRACE_INFO:  # echo the trace's info, its spans marked as held here
        info = json.loads(body)["trace"]["trace_info"]
        info["tags"] = {**info.get("tags", {}), _STORED["key"]: _STORED["value"]}
        return json.dumps({"trace": {"trace_info": info}}).encode()
    return _ANSWERS.get(path, b"{}")


async def app(scope, receive, send) -> None:
    """Read the request, answer at once."""
    if scope["type"] != "http":
        return
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = _answer(scope["path"], b"".join(chunks))
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
            trace_rate = stock_client_traces_per_s(target, "1")
        for measurement in measurements:
            print(f"{measurement.label}: {measurement.value:,.2f} {measurement.unit}")
        print(f"MlflowClient.log_metric x{calls}: {loop_rate:,.2f} ops/s")
        traces = sizes.trace_client_traces
        print(f"stock client: {traces} traces of 5 spans, then a flush: {trace_rate:,.2f} traces/s")
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
