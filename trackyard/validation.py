"""MLflow's input rules: key syntax, value lengths, batch limits.

Handlers call these before the store sees anything, so a bad request is a 400 with a clear
message and never reaches the database (where PostgreSQL would reject an over-long value
with an error that is not the client's to read, and SQLite would store it: the backends
would disagree). Every text column of limited length that a client fills has its check here.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Sequence

from .errors import ApiError, invalid
from .messages.tracking import KeyValue
from .search.grammar import Clause

__all__ = ["invalid"]

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_RUN_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_RUN_NAME_LENGTH = 250
MAX_USER_ID_LENGTH = 256
MAX_RUN_ID_LENGTH = 32
MAX_MODEL_ID_LENGTH = 64
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 64
MAX_DATASET_SOURCE_TYPE_LENGTH = 36
MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100
MAX_BATCH_ITEMS = 1000
MAX_RUNS_PER_SEARCH = 50000
MAX_EXPERIMENTS_PER_SEARCH = 50000
# Each id is a statement parameter: PostgreSQL takes at most 65,535 of them (SQLite, as
# built by most distributions, 32,766). MLflow sets no limit; its own ids-per-request limit
# (SearchDatasets, 20) lends the message its form.
MAX_EXPERIMENT_IDS_PER_SEARCH = 10_000
# The values of a filter's IN lists, each a parameter too.
MAX_FILTER_VALUES = 10_000
MAX_HISTORY_PAGE = 25000
MAX_SAMPLED_POINTS = 2500
MAX_SAMPLED_RUNS = 100

RUN_NAME_TAG = "mlflow.runName"
_KEY = re.compile(r"^[/\w.\- :]*$")
VIEW_TYPES = {"1": "ACTIVE_ONLY", "2": "DELETED_ONLY", "3": "ALL"}
RUN_STATUSES = {"1": "RUNNING", "2": "SCHEDULED", "3": "FINISHED", "4": "FAILED", "5": "KILLED"}


API_DOCS = " See the API docs for more information about request parameters."


def require(value: object, name: str) -> None:
    if value is None or value == "" or value == []:
        raise invalid(f"Missing value for required parameter '{name}'.{API_DOCS}")


def invalid_value(param: str, value: object, detail: str | None = None) -> str:
    """MLflow's sentence for a bad parameter value (mlflow.utils.validation.invalid_value)."""
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"))
    if detail:
        return f"Invalid value {shown} for parameter '{param}' supplied: {detail}"
    return f"Invalid value {shown} for parameter '{param}' supplied."


def schema_error(param: str, value: object) -> ApiError:
    """What MLflow's request schema answers when one of its checks fails without a message."""
    hint = f" Hint: Value was of type '{type(value).__name__}'."
    return invalid(invalid_value(param, value, hint) + API_DOCS)


def key(name: str, kind: str) -> str:
    """Keys of params, metrics and tags: a safe, already normalised relative path."""
    if not name:
        raise invalid(f"Missing value for required parameter 'key' of {kind}.")
    if len(name) > MAX_KEY_LENGTH:
        raise invalid(
            f"{kind.capitalize()} key '{name[:40]}...' has length {len(name)}, "
            f"which exceeds the limit of {MAX_KEY_LENGTH}."
        )
    if not _KEY.match(name):
        raise invalid(
            f"Invalid {kind} name: '{name}'. Names may only contain alphanumerics, "
            "underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)."
        )
    normalised = posixpath.normpath(name)
    if normalised != name or normalised == "." or name.startswith(("/", "..")):
        raise invalid(f"Invalid {kind} name: '{name}'. Names must be normalised relative paths.")
    return name


def truncated(value: str | None, limit: int) -> str | None:
    """MLflow truncates over-long param and run tag values rather than failing the run."""
    return value if value is None or len(value) <= limit else value[:limit]


def max_length(value: str | None, limit: int, what: str) -> None:
    """MLflow's length check and message; `what` is the parameter's name, as MLflow's."""
    if value is not None and len(value) > limit:
        raise invalid(f"'{what}' exceeds the maximum length of {limit} characters")


def experiment_ids(ids: Sequence[str], request: str) -> Sequence[str]:
    if len(ids) > MAX_EXPERIMENT_IDS_PER_SEARCH:
        raise invalid(
            f"{request} request cannot specify more than {MAX_EXPERIMENT_IDS_PER_SEARCH} "
            f"experiment_ids. Received {len(ids)} experiment_ids."
        )
    return ids


def filter_size(clauses: Sequence[Clause]) -> Sequence[Clause]:
    values = sum(len(c.value) for c in clauses if isinstance(c.value, tuple))
    if values > MAX_FILTER_VALUES:
        raise invalid(
            f"A search filter can hold at most {MAX_FILTER_VALUES} values in its IN lists. "
            f"Got {values} values."
        )
    return clauses


def experiment_name(name: str) -> str:
    if not name or not name.strip():
        raise invalid("Invalid experiment name: the name must be a non-empty string.")
    max_length(name, MAX_EXPERIMENT_NAME_LENGTH, "name")
    return name


def view_type(value: str | int) -> str:
    name = VIEW_TYPES.get(str(value), str(value))
    if name not in VIEW_TYPES.values():
        raise invalid(f"Invalid view type '{value}': use ACTIVE_ONLY, DELETED_ONLY or ALL.")
    return name


def run_status(value: str | int) -> str:
    name = RUN_STATUSES.get(str(value), str(value))
    if name not in RUN_STATUSES.values():
        raise invalid(f"Invalid run status '{value}': use one of {list(RUN_STATUSES.values())}.")
    return name


def max_results(value: int, limit: int, what: str) -> int:
    """`value` within 1..`limit`, refused in the words MLflow uses for that request (`what`),
    or in ours where MLflow has no such check."""
    if 1 <= value <= limit:
        return value
    too_small = value < 1
    if what in ("runs per page", "experiments per page", "points per page") and too_small:
        stop = "." if what == "points per page" else ""
        raise invalid(
            f"Invalid value {value} for parameter 'max_results' supplied. It must be a "
            f"positive integer{stop}"
        )
    if what == "experiments per page":
        raise invalid(
            f"Invalid value {value} for parameter 'max_results' supplied. It must be at most "
            f"{limit}"
        )
    if what == "model versions per page" and too_small:
        raise invalid(
            f"Invalid value for max_results. It must be a positive integer, but got {value}"
        )
    if what in ("runs per page", "registered models per page", "model versions per page"):
        raise schema_error("max_results", value)
    if what == "points per run":
        raise invalid(f"max_results must be between 1 and {limit}.{API_DOCS}")
    raise invalid(
        f"Invalid value {value} for parameter 'max_results': {what} must be between 1 and {limit}."
    )


def sampled_runs(run_ids: Sequence[str]) -> None:
    """MLflow's limit on the runs of one sampled-history request, in its words."""
    if len(run_ids) > MAX_SAMPLED_RUNS:
        raise invalid(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_SAMPLED_RUNS} "
            f"run_ids. Received {len(run_ids)} run_ids.{API_DOCS}"
        )


def batch_limits(metrics: Sequence, params: Sequence, tags: Sequence) -> None:
    for items, limit, name in (
        (metrics, MAX_BATCH_METRICS, "metrics"),
        (params, MAX_BATCH_PARAMS, "params"),
        (tags, MAX_BATCH_TAGS, "tags"),
    ):
        if len(items) > limit:
            raise invalid(
                f"A batch logging request can contain at most {limit} {name}. "
                f"Got {len(items)} {name}."
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_BATCH_ITEMS:
        raise invalid(
            f"A batch logging request can contain at most {MAX_BATCH_ITEMS} metrics, params "
            f"and tags in total. Got {total}."
        )


# ---------------------------------------------------------------- model registry

MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
MAX_REGISTERED_MODEL_NAME_LENGTH = 256
MAX_LOGGED_MODEL_NAME_LENGTH = 500
MAX_MODEL_TYPE_LENGTH = 500
MAX_ALIAS_LENGTH = 255
MAX_REGISTERED_MODELS_PER_SEARCH = 1000
MAX_MODEL_VERSIONS_PER_SEARCH = 200_000
MAX_LOGGED_MODELS_PER_SEARCH = 50_000
STAGES = {stage.lower(): stage for stage in ("None", "Staging", "Production", "Archived")}
ACTIVE_STAGES = ("Staging", "Production")

_ALIAS = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")


def model_name(name: str, field: str = "name") -> str:
    """Registered model names end up in `models:/<name>/...` URIs: no `/` or `:`."""
    if not name or not name.strip():
        raise invalid(f"Missing value for required parameter '{field}'.")
    if "/" in name or ":" in name:
        raise invalid(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.")
    normalised = posixpath.normpath(name)
    if normalised != name or normalised == "." or name.startswith(".."):
        raise invalid(f"Invalid model name '{name}'. Names must be normalised paths.")
    return name


def new_model_name(name: str, field: str = "name") -> str:
    """A registered model name to store (create, rename); lookups of longer names find none."""
    model_name(name, field)
    max_length(name, MAX_REGISTERED_MODEL_NAME_LENGTH, field)
    return name


def model_version(value: str | int) -> int:
    text = str(value).strip()
    if not text:
        raise invalid("Missing value for required parameter 'version'.")
    try:
        return int(text)
    except ValueError:
        raise invalid(f"Invalid value '{value}' for parameter 'version': not an integer.") from None


def alias(name: str, reserved: bool = False) -> str:
    """Aliases are word characters and dashes; `latest` and `v<n>` mean versions already."""
    if not name:
        raise invalid("Registered model alias name cannot be empty.")
    if not _ALIAS.match(name):
        raise invalid(
            f"Invalid alias name: '{name}'. Aliases may only contain alphanumerics, "
            "underscores (_) and dashes (-)."
        )
    max_length(name, MAX_ALIAS_LENGTH, "Registered model alias name")
    if reserved and name.lower() == "latest":
        raise invalid("'latest' alias name (case insensitive) is reserved.")
    if reserved and _VERSION_ALIAS.match(name):
        raise invalid(f"Version alias name '{name}' is reserved.")
    return name


def stage(value: str) -> str:
    canonical = STAGES.get((value or "").lower())
    if canonical is None:
        raise invalid(
            f"Invalid Model Version stage: {value}. Value must be one of "
            f"{', '.join(STAGES.values())}."
        )
    return canonical


def registry_tag(tag_key: str, value: str | None) -> None:
    key(tag_key, "tag")
    max_length(value, MAX_REGISTRY_TAG_VALUE_LENGTH, "value")


def logged_model_name(name: str | None) -> None:
    bad = ("/", ":", ".", "%", '"', "'")
    if name is not None and (not name or any(c in name for c in bad)):
        raise invalid(
            f"Invalid model name ({name!r}) provided. Model name must be a non-empty string "
            f"and cannot contain the following characters: {bad}"
        )
    max_length(name, MAX_LOGGED_MODEL_NAME_LENGTH, "name")


def model_references(run_id: str | None, model_id: str | None) -> None:
    """A run id or logged model id a write stores as given (run_id: a model version's,
    source_run_id: a logged model's)."""
    max_length(run_id, MAX_RUN_ID_LENGTH, "run_id")
    max_length(model_id, MAX_MODEL_ID_LENGTH, "model_id")


def linked_metric(dataset_name: str | None, dataset_digest: str | None) -> None:
    """A metric logged for a model is stored with its dataset's name and digest."""
    max_length(dataset_name, MAX_DATASET_NAME_LENGTH, "dataset_name")
    max_length(dataset_digest, MAX_DATASET_DIGEST_LENGTH, "dataset_digest")


def _value_or_empty(value: str | None) -> str:
    return "" if value is None else value


def params(items: Sequence[KeyValue]) -> list[KeyValue]:
    """Run and logged-model params, truncated like MLflow: autologging logs reprs of any size."""
    checked = []
    for param in items:
        key(param.key, "param")
        if param.value is None:
            raise invalid(f"Missing value for required parameter 'value' of param {param.key}")
        checked.append(
            KeyValue(key=param.key, value=truncated(param.value, MAX_PARAM_VALUE_LENGTH))
        )
    return checked


def run_tags(items: Sequence[KeyValue]) -> list[KeyValue]:
    checked = []
    for tag in items:
        key(tag.key, "tag")
        value = truncated(_value_or_empty(tag.value), MAX_RUN_TAG_VALUE_LENGTH)
        if tag.key == RUN_NAME_TAG:  # also the run's name
            max_length(value, MAX_RUN_NAME_LENGTH, RUN_NAME_TAG)
        checked.append(KeyValue(key=tag.key, value=value))
    return checked


def registry_tags(items: Sequence[KeyValue]) -> list[KeyValue]:
    checked = []
    for tag in items:
        value = _value_or_empty(tag.value)
        registry_tag(tag.key, value)
        checked.append(KeyValue(key=tag.key, value=value))
    return checked
