"""Time the stock MLflow client logging traces against one server.

Run as a separate process (``python bench/trace_client.py URI EXPERIMENT_ID COUNT``) with
the project venv's ``mlflow``: COUNT calls of a function traced with ``@mlflow.trace`` that
opens four nested spans (inputs, outputs, types), then a flush of the client's asynchronous
export, so the time covers the spans and every trace's info reaching the server. Prints one
JSON line: {"traces": COUNT, "seconds": wall time}; WARMUP_TRACES more are logged first.
"""

from __future__ import annotations

import json
import sys
import time

WARMUP_TRACES = 3


def main(argv: list[str]) -> int:
    tracking_uri, experiment_id, count = argv[0], argv[1], int(argv[2])
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment_id=experiment_id)

    @mlflow.trace(span_type="AGENT")
    def agent(question: str) -> str:
        for step in ("plan", "retrieve", "generate", "check"):
            with mlflow.start_span(step, span_type="LLM") as span:
                span.set_inputs({"question": question, "step": step})
                span.set_outputs({"text": f"{step}: {question[::-1]}"})
        return question.upper()

    for index in range(WARMUP_TRACES):  # the server-version probe, session, export threads
        agent(f"warm-up {index}")
    mlflow.flush_trace_async_logging()
    t0 = time.perf_counter()
    for index in range(count):
        agent(f"question {index}")
    mlflow.flush_trace_async_logging()
    seconds = time.perf_counter() - t0
    print(json.dumps({"traces": count, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
