"""HTTP routes, one module per API area, each declaring its endpoints on its own `api`
(a `trackyard.dispatch.ApiRoutes`). This is the one route table: a new area is one module
and one line here."""

from __future__ import annotations

from . import (
    access,
    artifacts,
    datasets,
    experiments,
    graphql,
    logged_models,
    meta,
    metrics,
    model_files,
    otlp,
    prometheus,
    registry,
    runs,
    session,
    trace_files,
    traces,
    ui,
)

# Starlette tries routes in this order. The web UI goes last, so every API route wins over it.
AREAS = (
    meta.api,
    artifacts.api,
    experiments.api,
    runs.api,
    metrics.api,
    registry.api,
    logged_models.api,
    model_files.api,
    datasets.api,
    traces.api,
    trace_files.api,
    otlp.api,
    access.api,
    session.api,
    prometheus.api,
    graphql.api,
    ui.api,
)
