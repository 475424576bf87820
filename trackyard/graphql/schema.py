"""The GraphQL schema MLflow 3.17.2's server serves and its web UI queries: the same type,
field and argument names (graphene's camelCase of the protos' fields), so the UI's queries
validate here unchanged. Output fields are read by `resolvers.field_resolver` from the REST
handlers' answers; the few computed fields name their resolvers."""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveLocation,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    IntValueNode,
    StringValueNode,
    ValueNode,
    specified_directives,
)
from graphql.pyutils import Undefined

from . import resolvers as r
from .resolvers import Resolver, snake_case


def _parse_long_literal(node: ValueNode, _variables: Any = None) -> Any:
    if isinstance(node, (IntValueNode, StringValueNode)):
        try:
            return int(node.value)
        except ValueError:
            pass
    return Undefined


# int64 fields travel as strings: JavaScript numbers lose precision past 2**53.
LongString = GraphQLScalarType(
    "LongString",
    serialize=lambda value: str(int(value)),
    parse_value=int,
    parse_literal=_parse_long_literal,
    description="Long converted to string to prevent truncation to max integer in JavaScript",
)

# Fields of one type: name -> type, or (type, resolver) for a computed field.
Fields = dict[str, "GraphQLOutputType | tuple[GraphQLOutputType, Resolver]"]


def _object(name: str, fields: Fields) -> GraphQLObjectType:
    def field(spec: Any) -> GraphQLField:
        if isinstance(spec, tuple):
            return GraphQLField(spec[0], resolve=spec[1])
        return GraphQLField(spec)

    return GraphQLObjectType(name, lambda: {key: field(spec) for key, spec in fields.items()})


def _input(name: str, fields: dict[str, GraphQLInputType]) -> GraphQLInputObjectType:
    return GraphQLInputObjectType(
        name,
        {key: GraphQLInputField(kind, out_name=snake_case(key)) for key, kind in fields.items()},
    )


def _enum(name: str, *values: str) -> GraphQLEnumType:
    """Values are the names, as the REST answers spell them."""
    return GraphQLEnumType(name, {value: GraphQLEnumValue(value) for value in values})


def _list(kind: GraphQLOutputType) -> GraphQLList:
    return GraphQLList(GraphQLNonNull(kind))


def _key_value(name: str, key: str = "key") -> GraphQLObjectType:
    return _object(name, {key: GraphQLString, "value": GraphQLString})


S, Long = GraphQLString, LongString
StringList = GraphQLList(GraphQLString)

RunStatus = _enum("MlflowRunStatus", "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
ViewType = _enum("MlflowViewType", "ACTIVE_ONLY", "DELETED_ONLY", "ALL")
ModelVersionStatus = _enum(
    "MlflowModelVersionStatus", "PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"
)
JobConnectionState = _enum(
    "MlflowDeploymentJobConnectionState",
    "DEPLOYMENT_JOB_CONNECTION_STATE_UNSPECIFIED",
    "NOT_SET_UP",
    "CONNECTED",
    "NOT_FOUND",
    "REQUIRED_PARAMETERS_CHANGED",
)
JobRunState = _enum(
    "MlflowModelVersionDeploymentJobStateDeploymentJobRunState",
    "DEPLOYMENT_JOB_RUN_STATE_UNSPECIFIED",
    "NO_VALID_DEPLOYMENT_JOB_FOUND",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "PENDING",
    "APPROVAL",
)

ErrorDetail = _object("ErrorDetail", {"field": S, "message": S})
# Never filled in (MLflow's server does not either): errors go to the answer's `errors`.
ApiErrorType = _object(
    "ApiError",
    {
        "code": S,
        "message": S,
        "helpUrl": S,
        "traceId": S,
        "errorDetails": GraphQLList(ErrorDetail),
    },
)

Experiment = _object(
    "MlflowExperiment",
    {
        "experimentId": S,
        "name": S,
        "artifactLocation": S,
        "lifecycleStage": S,
        "lastUpdateTime": Long,
        "creationTime": Long,
        "tags": _list(_key_value("MlflowExperimentTag")),
        "effectiveTraceArchivalRetention": S,
        "workspace": S,
    },
)

RunInfo = _object(
    "MlflowRunInfo",
    {
        "runId": S,
        "runUuid": S,
        "runName": S,
        "experimentId": S,
        "userId": S,
        "status": RunStatus,
        "startTime": Long,
        "endTime": Long,
        "artifactUri": S,
        "lifecycleStage": S,
    },
)


def _metric_fields() -> Fields:
    return {
        "key": S,
        "value": (GraphQLFloat, r.finite_value),
        "timestamp": Long,
        "step": Long,
        "datasetName": S,
        "datasetDigest": S,
        "modelId": S,
        "runId": S,
    }


RunData = _object(
    "MlflowRunData",
    {
        "metrics": _list(_object("MlflowMetricExtension", _metric_fields())),
        "params": _list(_key_value("MlflowParam")),
        "tags": _list(_key_value("MlflowRunTag")),
    },
)

Dataset = _object(
    "MlflowDataset",
    {"name": S, "digest": S, "sourceType": S, "source": S, "schema": S, "profile": S},
)
RunInputs = _object(
    "MlflowRunInputs",
    {
        "datasetInputs": _list(
            _object(
                "MlflowDatasetInput",
                {"tags": _list(_key_value("MlflowInputTag")), "dataset": Dataset},
            )
        ),
        "modelInputs": _list(_object("MlflowModelInput", {"modelId": S})),
    },
)
RunOutputs = _object(
    "MlflowRunOutputs",
    {"modelOutputs": _list(_object("MlflowModelOutput", {"modelId": S, "step": Long}))},
)

ModelVersion = _object(
    "MlflowModelVersion",
    {
        "name": S,
        "version": S,
        "creationTimestamp": Long,
        "lastUpdatedTimestamp": Long,
        "userId": S,
        "currentStage": S,
        "description": S,
        "source": S,
        "runId": S,
        "status": ModelVersionStatus,
        "statusMessage": S,
        "tags": _list(_key_value("MlflowModelVersionTag")),
        "runLink": S,
        "aliases": StringList,
        "modelId": S,
        "modelParams": _list(_key_value("MlflowModelParam", key="name")),
        "modelMetrics": _list(_object("MlflowModelMetric", _metric_fields())),
        "deploymentJobState": _object(
            "MlflowModelVersionDeploymentJobState",
            {
                "jobId": S,
                "runId": S,
                "jobState": JobConnectionState,
                "runState": JobRunState,
                "currentTaskName": S,
            },
        ),
    },
)

Run = _object(
    "MlflowRunExtension",
    {
        "info": RunInfo,
        "data": RunData,
        "inputs": RunInputs,
        "outputs": RunOutputs,
        "experiment": (Experiment, r.run_experiment),
        "modelVersions": (_list(ModelVersion), r.run_model_versions),
    },
)


def _response(name: str, fields: Fields) -> GraphQLObjectType:
    return _object(name, {**fields, "apiError": ApiErrorType})


GetExperimentResponse = _response("MlflowGetExperimentResponse", {"experiment": Experiment})
GetRunResponse = _response("MlflowGetRunResponse", {"run": Run})
SearchRunsResponse = _response("MlflowSearchRunsResponse", {"runs": _list(Run), "nextPageToken": S})
BulkIntervalResponse = _response(
    "MlflowGetMetricHistoryBulkIntervalResponse",
    {
        "metrics": _list(
            _object(
                "MlflowMetricWithRunId",
                {
                    "key": S,
                    "value": (GraphQLFloat, r.finite_value),
                    "timestamp": Long,
                    "step": Long,
                    "runId": S,
                },
            )
        )
    },
)
ListArtifactsResponse = _response(
    "MlflowListArtifactsResponse",
    {
        "rootUri": S,
        "files": _list(
            _object("MlflowFileInfo", {"path": S, "isDir": GraphQLBoolean, "fileSize": Long})
        ),
        "nextPageToken": S,
    },
)
SearchModelVersionsResponse = _response(
    "MlflowSearchModelVersionsResponse", {"modelVersions": _list(ModelVersion), "nextPageToken": S}
)

SearchRunsInput = _input(
    "MlflowSearchRunsInput",
    {
        "experimentIds": StringList,
        "filter": S,
        "runViewType": ViewType,
        "maxResults": GraphQLInt,
        "orderBy": StringList,
        "pageToken": S,
    },
)
SearchDatasetsResponse = _response(
    "MlflowSearchDatasetsResponse",
    {
        "datasetSummaries": _list(
            _object(
                "MlflowDatasetSummary",
                {"experimentId": S, "name": S, "digest": S, "context": S},
            )
        )
    },
)


def _root(kind: GraphQLOutputType, input_type: GraphQLInputType, resolve: Resolver) -> GraphQLField:
    return GraphQLField(kind, {"input": GraphQLArgument(input_type)}, resolve=resolve)


def _echo(name: str) -> GraphQLField:
    return GraphQLField(
        _object(name, {"output": S}),
        {"inputString": GraphQLArgument(S)},
        resolve=r.echo,
        description="Simple echoing field",
    )


Query = GraphQLObjectType(
    "Query",
    {
        "mlflowGetExperiment": _root(
            GetExperimentResponse,
            _input("MlflowGetExperimentInput", {"experimentId": S}),
            r.get_experiment,
        ),
        "mlflowGetMetricHistoryBulkInterval": _root(
            BulkIntervalResponse,
            _input(
                "MlflowGetMetricHistoryBulkIntervalInput",
                {
                    "runIds": StringList,
                    "metricKey": S,
                    "startStep": GraphQLInt,
                    "endStep": GraphQLInt,
                    "maxResults": GraphQLInt,
                },
            ),
            r.get_metric_history_bulk_interval,
        ),
        "mlflowGetRun": _root(
            GetRunResponse,
            _input("MlflowGetRunInput", {"runId": S, "runUuid": S}),
            r.get_run,
        ),
        "mlflowListArtifacts": _root(
            ListArtifactsResponse,
            _input(
                "MlflowListArtifactsInput", {"runId": S, "runUuid": S, "path": S, "pageToken": S}
            ),
            r.list_artifacts,
        ),
        "mlflowSearchModelVersions": _root(
            SearchModelVersionsResponse,
            _input(
                "MlflowSearchModelVersionsInput",
                {"filter": S, "maxResults": Long, "orderBy": StringList, "pageToken": S},
            ),
            r.search_model_versions,
        ),
        "test": _echo("Test"),
        "mlflowSearchRuns": _root(SearchRunsResponse, SearchRunsInput, r.search_runs),
    },
)

# MLflow declares its searches as mutations too (the UI posts SearchRuns as either).
Mutation = GraphQLObjectType(
    "Mutation",
    {
        "mlflowSearchDatasets": _root(
            SearchDatasetsResponse,
            _input("MlflowSearchDatasetsInput", {"experimentIds": StringList}),
            r.search_datasets,
        ),
        "mlflowSearchRuns": _root(SearchRunsResponse, SearchRunsInput, r.search_runs),
        "testMutation": _echo("TestMutation"),
    },
)

# The UI tags its queries with `@component(name: ...)`, which only names the caller.
Component = GraphQLDirective(
    "component",
    [DirectiveLocation.QUERY, DirectiveLocation.MUTATION],
    {"name": GraphQLArgument(GraphQLNonNull(GraphQLString))},
)

SCHEMA = GraphQLSchema(
    query=Query, mutation=Mutation, directives=[*specified_directives, Component]
)
