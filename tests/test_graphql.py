"""GraphQL (`/graphql`), as MLflow's web UI queries it: the UI's own queries answer the same
objects as the REST API, NaN reads as null, and malformed, batched or over-costly requests are
answered in MLflow's shape (`{"data": ..., "errors": [message, ...]}`)."""

from __future__ import annotations

import math
import re
from typing import Any

import httpx
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric

from .helpers import API, unique

GRAPHQL = "/graphql"

# The UI's queries, as MLflow 3.17.2's JS bundle (mlflow/server/js/build) sends them.
GET_EXPERIMENT = """
query MlflowGetExperimentQuery($input: MlflowGetExperimentInput!) @component(name: "MLflow.ExperimentRunTracking") {
    mlflowGetExperiment(input: $input) {
      apiError { code message }
      experiment {
        artifactLocation creationTime effectiveTraceArchivalRetention experimentId
        lastUpdateTime lifecycleStage name
        tags { key value }
      }
    }
  }
"""  # noqa: E501

_RUN_FIELDS = """
        info {
          runName status runUuid experimentId artifactUri endTime lifecycleStage startTime userId
        }
        experiment {
          experimentId name tags { key value } artifactLocation lifecycleStage lastUpdateTime
        }
        data {
          metrics { key value step timestamp }
          params { key value }
          tags { key value }
        }
        inputs {
          datasetInputs {
            dataset { digest name profile schema source sourceType }
            tags { key value }
          }
          modelInputs { modelId }
        }
        outputs { modelOutputs { modelId step } }
"""

GET_RUN = (
    """
query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") {
    mlflowGetRun(input: $data) {
      apiError { helpUrl code message }
      run {"""
    + _RUN_FIELDS
    + """
        modelVersions { status version name source }
      }
    }
  }
"""
)

SEARCH_RUNS = (
    """
query SearchRuns($data: MlflowSearchRunsInput!) {
    mlflowSearchRuns(input: $data) {
      apiError { helpUrl code message }
      runs {"""
    + _RUN_FIELDS
    + """
        modelVersions { version name creationTimestamp status source }
      }
    }
  }
"""
)

BULK_INTERVAL = """
query GetMetricHistoryBulkInterval($data: MlflowGetMetricHistoryBulkIntervalInput!)
  @component(name: "MLflow.ExperimentRunTracking") {
    mlflowGetMetricHistoryBulkInterval(input: $data) {
      __typename
      metrics { timestamp step runId key value }
      apiError { code message }
    }
  }
"""

LIST_ARTIFACTS = """
query ListArtifacts($data: MlflowListArtifactsInput!) {
  mlflowListArtifacts(input: $data) { rootUri files { path isDir fileSize } nextPageToken }
}
"""

SEARCH_DATASETS = """
mutation SearchDatasets($data: MlflowSearchDatasetsInput!) {
  mlflowSearchDatasets(input: $data) { datasetSummaries { experimentId name digest context } }
}
"""


def _post(http: httpx.Client, query: str, variables: dict | None = None) -> httpx.Response:
    return http.post(GRAPHQL, json={"query": query, "variables": variables})


def _data(http: httpx.Client, query: str, variables: dict | None = None) -> dict:
    response = _post(http, query, variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errors"] is None, body
    return body["data"]


def _errors(response: httpx.Response, status: int = 200) -> list[str]:
    """The messages of an answer in MLflow's GraphQL error shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"data", "errors"}, body
    assert body["errors"] and all(isinstance(error, str) for error in body["errors"]), body
    return body["errors"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def assert_same(answered: Any, rest: Any) -> None:
    """A GraphQL answer holds what the REST answer does for the fields it asked: camelCase
    names, int64 as strings (LongString), absent proto fields as null."""
    if isinstance(answered, dict):
        assert isinstance(rest, dict), (answered, rest)
        for key, value in answered.items():
            if key == "__typename":
                continue
            if value is None:
                assert rest.get(_snake(key)) in (None, []), (key, rest)
            else:
                assert_same(value, rest.get(_snake(key), []))
    elif isinstance(answered, list):
        assert isinstance(rest, list) and len(answered) == len(rest), (answered, rest)
        for one, other in zip(answered, rest, strict=True):
            assert_same(one, other)
    elif isinstance(rest, int) and not isinstance(rest, bool):
        assert answered == str(rest)
    else:
        assert answered == rest


def _rich_run(client, http: httpx.Client, experiment_id: str) -> str:
    """A run with metrics, params, tags, a dataset input and a registered model version."""
    run_id = client.create_run(experiment_id, run_name="rich").info.run_id
    client.log_batch(run_id, metrics=[Metric("loss", 0.5, 1_000, 3), Metric("acc", 0.9, 1_001, 3)])
    client.log_param(run_id, "lr", "0.1")
    client.set_tag(run_id, "team", "core")
    dataset = Dataset("train", "abc123", "local", '{"uri": "d.csv"}', '{"s": 1}', '{"n": 2}')
    tags = [InputTag("mlflow.data.context", "training")]
    client.log_inputs(run_id, datasets=[DatasetInput(dataset, tags=tags)])
    name = unique("model")
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    return run_id


def _rest_run(http: httpx.Client, run_id: str) -> dict:
    return http.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]


def _rest_model_versions(http: httpx.Client, run_id: str) -> list[dict]:
    params = {"filter": f"run_id='{run_id}'"}
    return http.get(f"{API}/model-versions/search", params=params).json()["model_versions"]


def _assert_run_as_rest(http: httpx.Client, answered: dict, run_id: str) -> None:
    rest = _rest_run(http, run_id)
    experiment_id = rest["info"]["experiment_id"]
    experiment = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id})
    assert_same(answered.pop("experiment"), experiment.json()["experiment"])
    assert_same(answered.pop("modelVersions"), _rest_model_versions(http, run_id))
    assert_same(answered, rest)


def test_get_experiment_query_answers_as_rest(http, experiment_id, client):
    client.set_experiment_tag(experiment_id, "owner", "me")
    data = _data(http, GET_EXPERIMENT, {"input": {"experimentId": experiment_id}})
    rest = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()
    assert data["mlflowGetExperiment"]["experiment"]["tags"] == [{"key": "owner", "value": "me"}]
    assert_same(data["mlflowGetExperiment"], rest)


def test_get_run_query_answers_as_rest(http, experiment_id, client):
    run_id = _rich_run(client, http, experiment_id)
    run = _data(http, GET_RUN, {"data": {"runId": run_id}})["mlflowGetRun"]["run"]
    assert len(run["modelVersions"]) == 1
    assert run["inputs"]["datasetInputs"][0]["dataset"]["name"] == "train"
    _assert_run_as_rest(http, run, run_id)


def test_search_runs_query_answers_as_rest(http, experiment_id, client):
    run_ids = [_rich_run(client, http, experiment_id), client.create_run(experiment_id).info.run_id]
    variables = {"data": {"experimentIds": [experiment_id], "orderBy": ["attributes.run_id"]}}
    runs = _data(http, SEARCH_RUNS, variables)["mlflowSearchRuns"]["runs"]
    assert [run["info"]["runUuid"] for run in runs] == sorted(run_ids)
    for run in runs:
        _assert_run_as_rest(http, run, run["info"]["runUuid"])


def test_search_runs_takes_the_view_type_enum(http, experiment_id, client):
    kept = client.create_run(experiment_id).info.run_id
    deleted = client.create_run(experiment_id).info.run_id
    client.delete_run(deleted)
    query = "query($data: MlflowSearchRunsInput!) { mlflowSearchRuns(input: $data) { runs { info { runId lifecycleStage } } } }"  # noqa: E501
    variables = {"data": {"experimentIds": [experiment_id], "runViewType": "DELETED_ONLY"}}
    runs = _data(http, query, variables)["mlflowSearchRuns"]["runs"]
    assert runs == [{"info": {"runId": deleted, "lifecycleStage": "deleted"}}]
    assert kept != deleted


def test_bulk_interval_query_answers_as_rest(http, experiment_id, client):
    run_ids = [client.create_run(experiment_id).info.run_id for _ in range(2)]
    for number, run_id in enumerate(run_ids):
        client.log_batch(
            run_id, [Metric("loss", step * 0.5 + number, 100 + step, step) for step in range(5)]
        )
    variables = {"data": {"runIds": run_ids, "metricKey": "loss", "maxResults": 3}}
    answer = _data(http, BULK_INTERVAL, variables)["mlflowGetMetricHistoryBulkInterval"]
    params = {"run_ids": run_ids, "metric_key": "loss", "max_results": 3}
    rest = http.get(f"{API}/metrics/get-history-bulk-interval", params=params).json()
    assert answer["__typename"] == "MlflowGetMetricHistoryBulkIntervalResponse"
    assert answer["metrics"]
    assert_same(answer, rest)


def test_list_artifacts_query_answers_as_rest(http, experiment_id, client):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_text(run_id, "hello", "notes/a.txt")
    client.log_text(run_id, "top", "b.txt")
    for path in (None, "notes"):
        data = _data(http, LIST_ARTIFACTS, {"data": {"runId": run_id, "path": path}})
        params = {"run_id": run_id, **({"path": path} if path else {})}
        rest = http.get(f"{API}/artifacts/list", params=params).json()
        assert data["mlflowListArtifacts"]["files"]
        assert_same(data["mlflowListArtifacts"], rest)


def test_search_datasets_mutation_answers_as_rest(http, experiment_id, client):
    _rich_run(client, http, experiment_id)
    data = _data(http, SEARCH_DATASETS, {"data": {"experimentIds": [experiment_id]}})
    body = {"experiment_ids": [experiment_id]}
    rest = http.post(f"{API}/experiments/search-datasets", json=body).json()
    summaries = data["mlflowSearchDatasets"]["datasetSummaries"]
    assert [(s["name"], s["context"]) for s in summaries] == [("train", "training")]
    assert_same(data["mlflowSearchDatasets"], rest)


def test_nan_metric_reads_as_null(http, experiment_id, client):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "loss", math.nan, timestamp=5, step=0)
    run = _data(http, GET_RUN, {"data": {"runId": run_id}})["mlflowGetRun"]["run"]
    assert run["data"]["metrics"] == [{"key": "loss", "value": None, "step": "0", "timestamp": "5"}]
    variables = {"data": {"runIds": [run_id], "metricKey": "loss"}}
    history = _data(http, BULK_INTERVAL, variables)["mlflowGetMetricHistoryBulkInterval"]
    assert [point["value"] for point in history["metrics"]] == [None]


def test_unknown_run_is_an_error_of_its_field(http):
    response = _post(http, GET_RUN, {"data": {"runId": "f" * 32}})
    [message] = _errors(response)
    assert "f" * 32 in message
    assert response.json()["data"] == {"mlflowGetRun": None}


def test_batch_is_refused(http, experiment_id):
    operation = {"query": GET_EXPERIMENT, "variables": {"input": {"experimentId": experiment_id}}}
    [message] = _errors(http.post(GRAPHQL, json=[operation, operation]), status=400)
    assert "Batched" in message


def test_syntax_error_is_answered_in_graphql_shape(http):
    response = _post(http, "query { mlflowGetRun(input: {runId: ")
    [message] = _errors(response)
    assert message.startswith("Syntax Error")
    assert response.json()["data"] is None


def test_unknown_field_is_refused(http, experiment_id):
    query = "query($input: MlflowGetExperimentInput!) { mlflowGetExperiment(input: $input) { experiment { secret } } }"  # noqa: E501
    response = _post(http, query, {"input": {"experimentId": experiment_id}})
    assert _errors(response) == ["Cannot query field 'secret' on type 'MlflowExperiment'."]
    assert response.json()["data"] is None


def test_too_deep_query_is_refused(http):
    query = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }"  # noqa: E501
    assert _errors(_post(http, query)) == ["Query exceeds maximum depth of 10"]


def test_too_many_selections_are_refused(http):
    query = '{ test(inputString: "x") { ' + "output " * 1001 + "} }"
    assert _errors(_post(http, query)) == ["Query exceeds maximum total selections of 1000"]


def test_too_many_aliases_are_refused(http):
    query = '{ test(inputString: "x") { ' + " ".join(f"a{n}: output" for n in range(11)) + " } }"
    [message] = _errors(_post(http, query))
    assert message.startswith("GraphQL queries should have at most 10 aliases, got 11 aliases.")


def test_fragments_spread_in_fragments_count_towards_the_selections(http):
    fragments = " ".join(f"fragment F{n} on Test {{ ...F{n + 1} ...F{n + 1} }}" for n in range(30))
    query = '{ test(inputString: "x") { ...F0 } } ' + fragments + " fragment F30 on Test { output }"
    assert _errors(_post(http, query)) == ["Query exceeds maximum total selections of 1000"]


def test_get_with_query_parameters_runs_a_query(http, experiment_id):
    params = {
        "query": GET_EXPERIMENT,
        "variables": f'{{"input": {{"experimentId": "{experiment_id}"}}}}',
        "operationName": "MlflowGetExperimentQuery",
    }
    response = http.get(GRAPHQL, params=params)
    assert response.status_code == 200, response.text
    experiment = response.json()["data"]["mlflowGetExperiment"]["experiment"]
    assert experiment["experimentId"] == experiment_id


def test_get_may_not_run_a_mutation(http):
    response = http.get(
        GRAPHQL, params={"query": 'mutation { testMutation(inputString: "x") { output } }'}
    )
    assert _errors(response, status=405) == [
        "Can only perform a mutation operation from a POST request."
    ]


def test_ajax_api_alias_answers(http):
    response = http.post(
        "/ajax-api/graphql", json={"query": '{ test(inputString: "hi") { output } }'}
    )
    assert response.json() == {"data": {"test": {"output": "hi"}}, "errors": None}


def test_request_without_a_query_is_refused(http):
    assert _errors(http.post(GRAPHQL, json={"variables": {}}), status=400) == [
        "Must provide a query string."
    ]


def test_nul_in_a_query_literal_is_refused_as_bad_input(http):
    query = '{ mlflowGetRun(input: {runId: "a\\u0000b"}) { run { info { runId } } } }'
    [message] = _errors(_post(http, query))
    assert "NUL" in message


def test_infinite_metric_reads_as_null(http, experiment_id, client):
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "loss", math.inf, timestamp=5, step=0)
    run = _data(http, GET_RUN, {"data": {"runId": run_id}})["mlflowGetRun"]["run"]
    assert [metric["value"] for metric in run["data"]["metrics"]] == [None]
