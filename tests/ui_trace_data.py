"""Traces for the web UI tests, recorded through the stock mlflow client (`@mlflow.trace`,
`mlflow.start_span`), spans exported over OTLP as the client does.

One experiment holding: a retrieval-and-generation trace with chat-shaped inputs and outputs,
a trace that raised, a trace made inside a run, a trace of 500 spans, and a trace whose span
names and attributes are hostile HTML. The chat trace carries a feedback, an expectation and an
issue (MLflow 3.17's link from a trace to a discovered issue, found in the run). Runnable by
hand to fill a dev server: `python -m tests.ui_trace_data http://127.0.0.1:5000`.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from dataclasses import dataclass, field

import mlflow
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource, SpanType
from mlflow.entities.assessment import IssueReference
from mlflow.tracing.constant import AssessmentMetadataKey

HOSTILE = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
WIDE_SPANS = 500
ISSUE_ID = "iss-3f2a"
ISSUE_NAME = "Answers cite <b>no</b> source"


@dataclass
class Traces:
    experiment_id: str
    run_id: str = ""
    ids: dict[str, str] = field(default_factory=dict)  # label -> trace id


@mlflow.trace(span_type=SpanType.CHAIN)
def ask(question: str) -> dict:
    """A chat app: retrieve documents, then call a chat model with OpenAI-style messages."""
    mlflow.update_current_trace(tags={"team": "geo"})
    with mlflow.start_span("retrieve", span_type=SpanType.RETRIEVER) as span:
        span.set_inputs({"query": question})
        span.set_outputs([{"page_content": "Paris is the capital of France.", "id": "doc-1"}])
        span.set_attribute("index", "wiki")
    messages = [
        {"role": "system", "content": "You answer geography questions in one sentence."},
        {"role": "user", "content": question},
    ]
    with mlflow.start_span("chat", span_type=SpanType.CHAT_MODEL) as span:
        span.set_inputs({"model": "gpt-test", "messages": messages})
        reply = {"role": "assistant", "content": "The capital of France is Paris."}
        span.set_outputs({"choices": [{"index": 0, "message": reply}]})
        span.set_attribute("temperature", 0.2)
    return {"answer": reply["content"], "notes": "x" * 20_000}


@mlflow.trace
def divide(a: int, b: int) -> float:
    return a / b


@mlflow.trace(name="wide")
def wide(count: int) -> int:
    """One trace of `count` spans: groups of ten steps under a root."""
    made = 1
    group = 0
    while made < count:
        with mlflow.start_span(f"group-{group}", span_type=SpanType.CHAIN) as parent:
            parent.set_inputs({"group": group})
            made += 1
            for step in range(min(9, count - made)):
                with mlflow.start_span(f"step-{group}-{step}", span_type=SpanType.TOOL) as span:
                    span.set_inputs({"step": step})
                    span.set_outputs(step * 2)
                made += 1
        group += 1
    return made


@mlflow.trace(name=HOSTILE)
def hostile() -> str:
    with mlflow.start_span(HOSTILE) as span:
        span.set_attribute(HOSTILE, HOSTILE)
        span.set_inputs({"html": HOSTILE})
    return HOSTILE


def _last() -> str:
    mlflow.flush_trace_async_logging()
    trace_id = mlflow.get_last_active_trace_id()
    assert trace_id
    return trace_id


def seed_traces(tracking_uri: str, prefix: str = "traces") -> Traces:
    """The traces above, in a new experiment, each flushed; assessments on the chat trace."""
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    experiment_id = client.create_experiment(f"{prefix}-{uuid.uuid4().hex[:6]}")
    mlflow.set_experiment(experiment_id=experiment_id)
    traces = Traces(experiment_id)
    ask("What is the capital of France?")
    traces.ids["chat"] = _last()
    mlflow.log_feedback(
        trace_id=traces.ids["chat"],
        name="correct",
        value=True,
        rationale="Matches the reference.",
        source=AssessmentSource(source_type="HUMAN", source_id="reviewer@example.com"),
    )
    with contextlib.suppress(ZeroDivisionError):
        divide(1, 0)
    traces.ids["error"] = _last()
    with mlflow.start_run() as run:
        traces.run_id = run.info.run_id
        divide(6, 3)
        traces.ids["in-run"] = _last()
    mlflow.end_run()
    wide(WIDE_SPANS)
    traces.ids["wide"] = _last()
    hostile()
    traces.ids["hostile"] = _last()
    mlflow.log_expectation(trace_id=traces.ids["chat"], name="expected_answer", value="Paris")
    # mlflow.log_issue would first look the issue up; log_assessment links it as given
    mlflow.log_assessment(
        traces.ids["chat"],
        IssueReference(
            issue_id=ISSUE_ID,
            issue_name=ISSUE_NAME,
            # the run that found it, where MLflow's evaluation harness records one
            metadata={AssessmentMetadataKey.SOURCE_RUN_ID: traces.run_id},
            rationale="The answer names no source.",
            source=AssessmentSource(source_type="LLM_JUDGE", source_id="issue-scan"),
        ),
    )
    return traces


if __name__ == "__main__":
    print(seed_traces(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000", "demo"))
