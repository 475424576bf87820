"""trackyard: a fast, self-hosted experiment tracking workspace speaking MLflow's REST API."""

__version__ = "0.1.0"

# The stock MLflow 3.x client reads GET /version to decide which features the server has
# (OTLP traces from 3.4 on, for example): we answer as the MLflow release we match.
MLFLOW_COMPATIBLE_VERSION = "3.17.2"
