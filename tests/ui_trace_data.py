"""Traces for the web UI tests, recorded through the stock mlflow client (`@mlflow.trace`,
`mlflow.start_span`), spans exported over OTLP as the client does.

One experiment holding: a retrieval-and-generation trace with chat-shaped inputs and outputs,
a vision chat whose image, recording and report the client took out into attachments,
a trace that raised, a trace made inside a run, a trace of 500 spans, and a trace whose span
names and attributes are hostile HTML. The chat trace carries a feedback, an expectation and an
issue (MLflow 3.17's link from a trace to a discovered issue, found in the run). Runnable by
hand to fill a dev server: `python -m tests.ui_trace_data http://127.0.0.1:5000`.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import struct
import sys
import uuid
import wave
from dataclasses import dataclass, field

import mlflow
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource, SpanType
from mlflow.entities.assessment import IssueReference
from mlflow.tracing.attachments import Attachment
from mlflow.tracing.constant import AssessmentMetadataKey
from PIL import Image

HOSTILE = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
WIDE_SPANS = 500
ISSUE_ID = "iss-3f2a"
ISSUE_NAME = "Answers cite <b>no</b> source"
PICTURE_SIZE = (96, 64)
REPORT = b"%PDF-1.4\n% a report, as bytes\n%%EOF\n"


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


def picture() -> bytes:
    """A 96 x 64 PNG: a red square on blue."""
    image = Image.new("RGB", PICTURE_SIZE, (40, 90, 200))
    image.paste((220, 40, 40), (32, 16, 64, 48))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def recording() -> bytes:
    """A fifth of a second of a 440 Hz tone, as WAV."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        samples = (int(8000 * math.sin(2 * math.pi * 440 * t / 8000)) for t in range(1600))
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return buffer.getvalue()


@mlflow.trace(span_type=SpanType.CHAIN)
def look(url: str) -> str:
    """A vision chat: the image goes as an OpenAI data: URL, which the client takes out into an
    attachment (here and in the root span's inputs); a tool then files a recording and a
    report, given as Attachments."""
    question = {"type": "text", "text": "What is in this picture?"}
    messages = [
        {"role": "user", "content": [question, {"type": "image_url", "image_url": {"url": url}}]}
    ]
    with mlflow.start_span("vision", span_type=SpanType.CHAT_MODEL) as span:
        span.set_inputs({"model": "gpt-test-vision", "messages": messages})
        reply = {"role": "assistant", "content": "A red square on blue."}
        span.set_outputs({"choices": [{"index": 0, "message": reply}]})
    with mlflow.start_span("file", span_type=SpanType.TOOL) as span:
        span.set_inputs(
            {
                "recording": Attachment(content_type="audio/wav", content_bytes=recording()),
                "report": Attachment(content_type="application/pdf", content_bytes=REPORT),
            }
        )
        span.set_outputs("filed")
    return reply["content"]


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
    look("data:image/png;base64," + base64.b64encode(picture()).decode())
    traces.ids["vision"] = _last()
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
