"""Assessments on traces with the stock client: feedback and expectations logged, read,
updated, overridden and deleted, and shown on the trace."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.entities import AssessmentSource, AssessmentSourceType, Expectation, Feedback
from mlflow.exceptions import MlflowException

from .helpers import assert_error

HUMAN = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="ana@example.com")


@pytest.fixture
def trace_id(experiment_id: str) -> str:
    mlflow.set_experiment(experiment_id=experiment_id)

    @mlflow.trace
    def reply(text: str) -> str:
        return text[::-1]

    reply("hello")
    mlflow.flush_trace_async_logging()
    return mlflow.get_last_active_trace_id()


def test_feedback_is_logged_and_read_back(tracking_uri, trace_id):
    logged = mlflow.log_feedback(
        trace_id=trace_id,
        name="helpful",
        value=True,
        source=HUMAN,
        rationale="answered the question",
        metadata={"round": "1"},
    )
    assert logged.assessment_id.startswith("a-")
    read = mlflow.get_assessment(trace_id, logged.assessment_id)
    assert (read.name, read.value, read.rationale) == ("helpful", True, "answered the question")
    assert read.source.source_id == "ana@example.com"
    assert read.metadata == {"round": "1"}
    assert read.valid is True


def test_an_expectation_keeps_a_structured_value(tracking_uri, trace_id):
    value = {"answer": "olleh", "facts": ["reversed", 5]}
    logged = mlflow.log_expectation(trace_id=trace_id, name="expected", value=value)
    read = mlflow.get_assessment(trace_id, logged.assessment_id)
    assert read.expectation.value == value


def test_assessments_appear_on_the_trace(tracking_uri, trace_id):
    mlflow.log_feedback(trace_id=trace_id, name="score", value=0.75, source=HUMAN)
    mlflow.log_expectation(trace_id=trace_id, name="expected", value="olleh")
    trace = mlflow.get_trace(trace_id)
    by_name = {a.name: a for a in trace.info.assessments}
    assert by_name["score"].value == 0.75
    assert by_name["expected"].value == "olleh"


def test_update_changes_the_value_and_rationale(tracking_uri, trace_id):
    logged = mlflow.log_feedback(trace_id=trace_id, name="score", value=0.2, source=HUMAN)
    mlflow.update_assessment(
        trace_id, logged.assessment_id, Feedback(name="score", value=0.9, rationale="re-read")
    )
    read = mlflow.get_assessment(trace_id, logged.assessment_id)
    assert (read.value, read.rationale) == (0.9, "re-read")


def test_an_expectation_cannot_be_updated_with_feedback(tracking_uri, trace_id):
    logged = mlflow.log_expectation(trace_id=trace_id, name="expected", value="x")
    with pytest.raises(MlflowException):
        mlflow.update_assessment(trace_id, logged.assessment_id, Feedback(name="e", value=1))
    read = mlflow.get_assessment(trace_id, logged.assessment_id)
    assert read.expectation.value == "x"


def test_update_an_expectation(tracking_uri, trace_id):
    logged = mlflow.log_expectation(trace_id=trace_id, name="expected", value="x")
    mlflow.update_assessment(
        trace_id, logged.assessment_id, Expectation(name="expected", value="y")
    )
    assert mlflow.get_assessment(trace_id, logged.assessment_id).value == "y"


def test_override_marks_the_old_feedback_invalid_and_delete_restores_it(tracking_uri, trace_id):
    old = mlflow.log_feedback(trace_id=trace_id, name="score", value=0.1, source=HUMAN)
    new = mlflow.override_feedback(
        trace_id=trace_id, assessment_id=old.assessment_id, value=0.8, rationale="fixed"
    )
    assert new.overrides == old.assessment_id
    assert mlflow.get_assessment(trace_id, old.assessment_id).valid is False
    mlflow.delete_assessment(trace_id, new.assessment_id)
    assert mlflow.get_assessment(trace_id, old.assessment_id).valid is True


def test_delete_removes_the_assessment(tracking_uri, trace_id):
    logged = mlflow.log_feedback(trace_id=trace_id, name="score", value=1, source=HUMAN)
    mlflow.delete_assessment(trace_id, logged.assessment_id)
    with pytest.raises(MlflowException) as raised:
        mlflow.get_assessment(trace_id, logged.assessment_id)
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_feedback_on_an_unknown_trace_is_not_found(tracking_uri):
    with pytest.raises(MlflowException) as raised:
        mlflow.log_feedback(trace_id="tr-ffffffffffffffffffffffffffffffff", name="x", value=1)
    assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    "assessment",
    [
        {"assessment_name": "x"},  # neither feedback nor expectation
        {"assessment_name": "x", "feedback": {"value": 1}, "expectation": {"value": 1}},
        {"feedback": {"value": 1}},  # no name
    ],
)
def test_malformed_assessments_are_refused(http, trace_id, assessment):
    response = http.post(
        f"/api/3.0/mlflow/traces/{trace_id}/assessments", json={"assessment": assessment}
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_an_update_needs_a_known_mask(http, trace_id):
    logged = mlflow.log_feedback(trace_id=trace_id, name="score", value=1, source=HUMAN)
    url = f"/api/3.0/mlflow/traces/{trace_id}/assessments/{logged.assessment_id}"
    for mask in ("", "trace_id", "valid,feedback"):
        response = http.patch(url, json={"assessment": {"rationale": "r"}, "update_mask": mask})
        assert_error(response, "INVALID_PARAMETER_VALUE", 400)
