"""Time the stock MLflow client's ``log_metric`` loop against one server.

Run as a separate process (``python bench/client_loop.py URI RUN_ID COUNT``) with the
project venv's ``mlflow`` so the measurement covers exactly what a user's training loop
pays per call: the client's own request building, retries wrapper and session reuse.
Prints one JSON line: {"calls": COUNT, "seconds": wall time of the timed loop}.
"""

from __future__ import annotations

import json
import sys
import time

WARMUP_CALLS = 5


def main(argv: list[str]) -> int:
    """Warm the client up (server-info probes, session), then time COUNT calls."""
    tracking_uri, run_id, count = argv[0], argv[1], int(argv[2])
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    for i in range(WARMUP_CALLS):
        client.log_metric(run_id, "warmup", float(i), step=i)
    t0 = time.perf_counter()
    for i in range(count):
        client.log_metric(run_id, "loss", 1.0 / (i + 1), step=i)
    seconds = time.perf_counter() - t0
    print(json.dumps({"calls": count, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
