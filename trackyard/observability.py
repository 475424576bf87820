"""What an operator watches: `--expose-prometheus` (trackyard/prometheus.py) and the access
log's format, `--access-log-format text|json`.

The JSON access log is one object a line, for log shippers that would otherwise parse
uvicorn's text with a regular expression: time (UTC, ISO 8601), client, method, path (with
query), HTTP version and status.
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import datetime, timezone
from typing import Any, cast

import click

OPTIONS = [
    click.option(
        "--expose-prometheus",
        is_flag=True,
        default=False,
        envvar="TRACKYARD_EXPOSE_PROMETHEUS",
        help="Serve Prometheus metrics at /metrics: requests and latency by endpoint, "
        "database pool use.",
    ),
    click.option(
        "--access-log-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        envvar="TRACKYARD_ACCESS_LOG_FORMAT",
        help="The access log's lines: uvicorn's text, or one JSON object each (json turns "
        "the access log on).",
    ),
]


class JsonAccessFormatter(logging.Formatter):
    """uvicorn's access records (client, method, path, HTTP version, status) as JSON."""

    def format(self, record: logging.LogRecord) -> str:
        client, method, path, http_version, status = cast(tuple[Any, ...], record.args)
        return json.dumps(
            {
                "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                    timespec="milliseconds"
                ),
                "client": client,
                "method": method,
                "path": path,
                "http_version": http_version,
                "status": int(status),
            },
            ensure_ascii=False,
        )


def log_config(access_format: str) -> dict[str, Any]:
    """uvicorn's logging set-up with its own messages at WARNING and the access log (when on)
    at INFO, in the chosen format."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    if access_format == "json":
        config["formatters"]["access"] = {"()": f"{__name__}.JsonAccessFormatter"}
    config["loggers"]["uvicorn"]["level"] = "WARNING"
    config["loggers"]["uvicorn.error"]["level"] = "WARNING"
    config["loggers"]["uvicorn.access"]["level"] = "INFO"
    return config
