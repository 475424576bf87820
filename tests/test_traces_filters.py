"""Trace search filters on what SQL columns do not hold, with the stock client: span
attributes and text (`span.attributes.<key>`, `trace.text`), assessments
(`feedback.<name>`, `expectation.<name>`), linked prompts (`prompt = 'name/version'`), one
span passing every span clause, and bad filters of these kinds answered 400. One experiment
of four traces per backend."""

from __future__ import annotations

import uuid

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import SpanType

from .helpers import assert_error


def _ask(question: str, model: str | None, temperature: float | None) -> str:
    @mlflow.trace(name="ask", span_type=SpanType.CHAIN)
    def ask(question: str) -> str:
        with mlflow.start_span(
            "llm" if model else "search", span_type=SpanType.LLM if model else SpanType.TOOL
        ) as span:
            if model:
                span.set_attribute("model", model)
                span.set_attribute("temperature", temperature)
        return question.upper()

    ask(question)
    mlflow.flush_trace_async_logging()
    trace_id = mlflow.get_last_active_trace_id()
    assert trace_id
    return trace_id


@pytest.fixture(scope="module")
def seeded(server) -> tuple[str, list[str]]:
    """Four traces, oldest first: gpt (refund), claude (café), a tool call, a trace whose
    high score was overridden by a low one."""
    import mlflow.tracking.fluent as fluent

    mlflow.set_tracking_uri(server.url)
    experiment = MlflowClient(server.url).create_experiment(f"filters-{uuid.uuid4().hex[:8]}")
    mlflow.set_experiment(experiment_id=experiment)
    try:
        gpt = _ask("What is the refund policy?", "gpt-4o", 0.7)
        claude = _ask("Shipping time to the café?", "claude-3", 0.2)
        tool = _ask("hello", None, None)
        overridden = _ask("anything else?", "gpt-4o-mini", 0.0)
    finally:
        fluent._active_experiment_id = None
    mlflow.log_feedback(trace_id=gpt, name="correctness", value=True)
    mlflow.log_feedback(trace_id=gpt, name="score", value=0.9)
    mlflow.log_expectation(trace_id=gpt, name="expected", value="Refunds within 30 days")
    mlflow.log_feedback(trace_id=claude, name="score", value=0.3)
    mlflow.log_feedback(trace_id=claude, name="label", value="yes")
    mlflow.log_expectation(trace_id=claude, name="expected", value={"facts": ["two days"]})
    high = mlflow.log_feedback(trace_id=overridden, name="score", value=0.95)
    mlflow.override_feedback(trace_id=overridden, assessment_id=high.assessment_id, value=0.1)
    prompts = [{"name": "qa", "version": "2"}, {"name": "system", "version": "1"}]
    linked = httpx.post(
        f"{server.url}/api/2.0/mlflow/traces/link-prompts",
        json={"trace_id": gpt, "prompt_versions": prompts},
    )
    assert linked.status_code == 200, linked.text
    return experiment, [gpt, claude, tool, overridden]


def _found(experiment: str, filter_string: str, **kwargs) -> list[str]:
    traces = mlflow.search_traces(
        locations=[experiment], filter_string=filter_string, return_type="list", **kwargs
    )
    return [trace.info.trace_id for trace in traces]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("span.attributes.model LIKE '%gpt%'", [3, 0]),
        ("span.attributes.model ILIKE '%GPT-4O'", [3, 0]),  # any ending, as mlflow
        ("span.attributes.model = 'claude-3'", [1]),
        ("span.attributes.`temperature` LIKE '%0.7%'", [0]),
        ("span.attributes.model != 'claude-3'", [3, 0]),
        ("span.attributes.model IN ('claude-3', 'gpt-4o')", [1, 0]),
        ("span.name = 'llm' AND span.attributes.model LIKE '%claude%'", [1]),
        ("trace.text ILIKE '%REFUND%'", [0]),
        ("trace.text LIKE '%café%'", [1]),
        ("span.content LIKE '%two days%'", []),
        ("feedback.correctness = 'true'", [0]),
        ("feedback.score > 0.5", [0]),
        ("feedback.score <= 0.5", [3, 1]),
        ("feedback.score != '0.9'", [3, 1]),
        ("feedback.label = 'yes'", [1]),
        ("feedback.label LIKE '%ye%'", [1]),
        ("feedback.score IS NULL", [2]),
        ("expectation.expected = 'Refunds within 30 days'", [0]),
        ("expectation.expected LIKE '%two days%'", [1]),
        ("expectation.expected IS NOT NULL", [1, 0]),
        ("feedback.score > 0.2 AND span.attributes.model LIKE '%claude%'", [1]),
        ("prompt = 'qa/2'", [0]),
        ("prompt = 'qa/1'", []),
    ],
)
def test_filter_finds(tracking_uri, seeded, filter_string, expected):
    experiment, ids = seeded
    assert _found(experiment, filter_string) == [ids[i] for i in expected]


def test_span_clauses_must_hold_for_one_span(tracking_uri, seeded):
    experiment, _ = seeded
    assert _found(experiment, "span.name = 'ask' AND span.attributes.model LIKE '%gpt%'") == []
    assert _found(experiment, "span.type = 'TOOL' AND span.name = 'llm'") == []


def test_pages_of_a_filter_tested_on_span_content(tracking_uri, seeded):
    experiment, ids = seeded
    seen, token = [], None
    while True:
        page = MlflowClient().search_traces(
            locations=[experiment],
            filter_string="span.attributes.model LIKE '%'",
            max_results=1,
            page_token=token,
        )
        seen += [trace.info.trace_id for trace in page]
        token = page.token
        if not token:
            break
    assert seen == [ids[3], ids[1], ids[0]]


@pytest.mark.parametrize(
    "filter_string",
    [
        "span.attributes. = 'x'",
        "span.content = 'x'",
        "span.colour = 'red'",
        "trace.text = 'refund'",
        "feedback.score > 'high'",
        "feedback.score = 0.5",
        "feedback.score IN ('a')",
        "feedback.score RLIKE '('",
        "verdict.score = 'x'",
        "prompt = 'qa'",
        "prompt LIKE 'qa/%'",
        "prompt IN ('qa/2')",
    ],
)
def test_bad_filters_are_refused(http, seeded, filter_string):
    experiment, _ = seeded
    location = {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": experiment}}
    response = http.post(
        "/api/3.0/mlflow/traces/search", json={"locations": [location], "filter": filter_string}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
