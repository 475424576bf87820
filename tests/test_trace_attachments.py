"""Trace attachments: a file the 3.x client takes out of a span's inputs or outputs
(`mlflow.tracing.attachments.Attachment`) is uploaded through the artifact proxy, and the
span keeps an `mlflow-attachment://` reference that `get-trace-artifact?path=` serves."""

from __future__ import annotations

import uuid

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.tracing.attachments import Attachment

from .helpers import assert_error

# A 1x1 PNG's signature and header, then bytes of every value: served byte for byte.
IMAGE = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256))
URL = "/ajax-api/3.0/mlflow/get-trace-artifact"


@mlflow.trace
def describe(image: bytes) -> str:
    with mlflow.start_span("vision") as span:
        span.set_inputs({"image": Attachment(content_type="image/png", content_bytes=image)})
        span.set_outputs({"caption": "a pixel"})
    return "a pixel"


@pytest.fixture
def traced(experiment_id: str, client: MlflowClient) -> tuple[str, dict]:
    """A trace whose "vision" span holds an attachment: its id and the parsed reference."""
    mlflow.set_experiment(experiment_id=experiment_id)
    describe(IMAGE)
    mlflow.flush_trace_async_logging()
    trace_id = mlflow.get_last_active_trace_id()
    assert trace_id
    spans = {span.name: span for span in client.get_trace(trace_id).data.spans}
    reference = Attachment.parse_ref(spans["vision"].inputs["image"])
    assert reference is not None, spans["vision"].inputs
    return trace_id, reference


def test_an_attachment_is_served_byte_for_byte_as_a_download(traced, http):
    trace_id, reference = traced
    response = http.get(URL, params={"request_id": trace_id, "path": reference["attachment_id"]})
    assert response.status_code == 200, response.text
    assert response.content == IMAGE
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_reference_names_the_trace_type_and_size(traced):
    trace_id, reference = traced
    assert reference["trace_id"] == trace_id
    assert reference["content_type"] == "image/png"
    assert reference["size"] == len(IMAGE)


def test_an_attachment_is_served_under_every_prefix_and_version(traced, http):
    trace_id, reference = traced
    for prefix in ("api", "ajax-api"):
        for version in ("2.0", "3.0"):
            response = http.get(
                f"/{prefix}/{version}/mlflow/get-trace-artifact",
                params={"request_id": trace_id, "path": reference["attachment_id"]},
            )
            assert response.content == IMAGE, (prefix, version)


def test_a_range_of_an_attachment_is_served(traced, http):
    trace_id, reference = traced
    response = http.get(
        URL,
        params={"request_id": trace_id, "path": reference["attachment_id"]},
        headers={"Range": "bytes=0-7"},
    )
    assert response.status_code == 206
    assert response.content == IMAGE[:8]


def test_without_a_path_the_trace_data_is_served_as_before(traced, http):
    trace_id, _ = traced
    response = http.get(URL, params={"request_id": trace_id})
    assert {span["name"] for span in response.json()["spans"]} == {"describe", "vision"}


@pytest.mark.parametrize(
    "path",
    [
        "../traces.json",
        "../../../../etc/passwd",
        "%2e%2e%2ftraces.json",
        "0585AC93-4279-4F28-B28C-2807C19DEB34",  # a UUID, but not as the client writes one
        "{0585ac93-4279-4f28-b28c-2807c19deb34}",
        "urn:uuid:0585ac93-4279-4f28-b28c-2807c19deb34",
        "0585ac93-4279-4f28-b28c-2807c19deb34/x",
        "x" * 5000,
    ],
)
def test_an_attachment_path_that_is_not_a_uuid_is_refused(traced, http, path):
    trace_id, _ = traced
    response = http.get(URL, params={"request_id": trace_id, "path": path})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_a_nul_in_the_query_is_refused(traced, http):
    trace_id, _ = traced
    response = http.get(URL, params={"request_id": trace_id + "\x00", "path": "x"})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_an_attachment_the_trace_does_not_have_is_not_found(traced, http):
    trace_id, _ = traced
    response = http.get(URL, params={"request_id": trace_id, "path": str(uuid.uuid4())})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_another_traces_attachment_is_not_served_through_this_trace(traced, client, http):
    """An attachment is looked up under the named trace's own folder only."""
    _, reference = traced
    describe(b"other")
    mlflow.flush_trace_async_logging()
    other = mlflow.get_last_active_trace_id()
    assert http.get(URL, params={"request_id": other}).status_code == 200
    response = http.get(URL, params={"request_id": other, "path": reference["attachment_id"]})
    assert_error(response, "RESOURCE_DOES_NOT_EXIST", 404)


def test_an_attachment_of_an_unknown_trace_is_not_found(http):
    params = {"request_id": "tr-" + "0" * 32, "path": str(uuid.uuid4())}
    assert_error(http.get(URL, params=params), "RESOURCE_DOES_NOT_EXIST", 404)


def test_a_request_without_a_trace_is_refused(http):
    response = http.get(URL, params={"path": str(uuid.uuid4())})
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
