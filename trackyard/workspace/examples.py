"""The example notebooks' source: `python -m trackyard.workspace.examples` rewrites them.

The .ipynb files under notebooks/ are generated from the cells below, so that a review reads
plain Python rather than JSON, and a test checks that the committed files match. Cell ids are
fixed, which keeps the output byte-for-byte stable.
"""

from __future__ import annotations

from pathlib import Path

NOTEBOOKS_DIR = Path(__file__).parent / "notebooks"

# Each cell is ("markdown" | "code", source).
Cell = tuple[str, str]

QUICK_CHECK: list[Cell] = [
    (
        "markdown",
        """\
# Quick check: is tracking working?

This notebook logs one run to trackyard: three params, the metric `i` at steps 0 to 4, and
this notebook file itself as an artifact. It finds the server in `MLFLOW_TRACKING_URI`, which
`trackyard up` sets for every kernel JupyterLab starts.

Run all cells, then open the experiment **MLflow Example** in the trackyard UI.""",
    ),
    (
        "code",
        """\
import os
from pathlib import Path

import mlflow

tracking_uri = os.environ.get("MLFLOW_TRACKING_URI")
if not tracking_uri:
    raise RuntimeError("Set MLFLOW_TRACKING_URI to the trackyard server (trackyard up does).")
mlflow.set_tracking_uri(tracking_uri)
experiment = mlflow.set_experiment("MLflow Example")
print(f"Logging to {tracking_uri}, experiment {experiment.experiment_id}")""",
    ),
    (
        "code",
        """\
def this_notebook(file_name: str = "quick_check.ipynb") -> Path:
    \"\"\"This notebook's file on disk.

    JupyterLab names the notebook a kernel runs in JPY_SESSION_NAME; headless runners
    (nbclient, papermill) start the kernel in the notebook's folder; and `trackyard up`
    exports its notebooks folder as TRACKYARD_NOTEBOOK_DIR.
    \"\"\"
    candidates = [
        Path(os.environ.get("JPY_SESSION_NAME", "")),
        Path.cwd() / file_name,
        Path(os.environ.get("TRACKYARD_NOTEBOOK_DIR", ".")) / file_name,
    ]
    for path in candidates:
        if path.suffix == ".ipynb" and path.is_file():
            return path.resolve()
    raise FileNotFoundError(f"Cannot find {file_name}: save the notebook first.")


notebook = this_notebook()
print(notebook)""",
    ),
    (
        "code",
        """\
with mlflow.start_run(run_name="quick-check") as run:
    mlflow.log_params({"name": "quick check", "category": "example", "type": "notebook"})
    for i in range(5):
        mlflow.log_metric("i", i, step=i)
    mlflow.log_artifact(str(notebook))  # the last saved version of this notebook

run_url = f"{tracking_uri}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}"
print(f"Run {run.info.run_id}: {run_url}")""",
    ),
]

CLASSIFICATION: list[Cell] = [
    (
        "markdown",
        """\
# Classification study: RandomForest and XGBoost on two moons

Two classifiers on scikit-learn's `make_moons` (1000 samples, noise 0.25), each in its own
run. `mlflow.autolog()` logs their parameters, training metrics and the model with its
signature and an input example. This notebook adds per-class precision, recall and F1, the
confusion-matrix rates and a precision-recall plot, then registers the better model as
**moons-classifier** in the model registry.

The server comes from `MLFLOW_TRACKING_URI`, which `trackyard up` sets for every kernel.""",
    ),
    (
        "code",
        """\
import os
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import pandas as pd
from sklearn.datasets import make_moons
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import (
    PrecisionRecallDisplay,
    confusion_matrix,
    precision_recall_fscore_support,
)
from sklearn.model_selection import train_test_split
from xgboost import XGBClassifier

EXPERIMENT = "Moons classification"
MODEL_NAME = "moons-classifier"

if not os.environ.get("MLFLOW_TRACKING_URI"):
    raise RuntimeError("Set MLFLOW_TRACKING_URI to the trackyard server (trackyard up does).")
mlflow.set_experiment(EXPERIMENT)
mlflow.autolog(log_input_examples=True, log_model_signatures=True, silent=True)
# autolog's training log_loss still passes `y_pred=`, which scikit-learn 1.9 renamed.
warnings.filterwarnings("ignore", message="`y_pred` was renamed to `y_proba`")""",
    ),
    (
        "code",
        """\
X, y = make_moons(n_samples=1000, noise=0.25, random_state=42)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, random_state=42, stratify=y
)
print(f"{len(X_train)} training and {len(X_test)} test samples")""",
    ),
    (
        "code",
        """\
def classification_metrics(y_true, y_pred) -> dict[str, float]:
    \"\"\"Per-class precision, recall and F1, and confusion-matrix rates per true class.\"\"\"
    precision, recall, f1, _ = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1])
    metrics = {}
    for label in (0, 1):
        metrics[f"test_precision_class_{label}"] = precision[label]
        metrics[f"test_recall_class_{label}"] = recall[label]
        metrics[f"test_f1_class_{label}"] = f1[label]
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred, labels=[0, 1], normalize="true")
    metrics["test_true_negative_rate"] = tn
    metrics["test_false_positive_rate"] = fp
    metrics["test_false_negative_rate"] = fn
    metrics["test_true_positive_rate"] = tp
    metrics["test_f1_macro"] = f1.mean()
    return {key: float(value) for key, value in metrics.items()}


def log_precision_recall_plot(model, name: str) -> None:
    \"\"\"Plot the precision-recall curve on the test set, save it as PNG and log it.\"\"\"
    fig, ax = plt.subplots(figsize=(5, 4))
    PrecisionRecallDisplay.from_estimator(model, X_test, y_test, ax=ax, name=name)
    ax.set_title(f"Precision-recall: {name}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "precision_recall.png"
        fig.savefig(path, dpi=80)
        mlflow.log_artifact(str(path), artifact_path="plots")
    plt.show()""",
    ),
    (
        "code",
        """\
models = {
    "random-forest": RandomForestClassifier(n_estimators=100, max_depth=6, random_state=42),
    "xgboost": XGBClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=42),
}
results = {}
for name, model in models.items():
    with mlflow.start_run(run_name=name) as run:
        model.fit(X_train, y_train)  # autolog: params, training metrics, model
        metrics = classification_metrics(y_test, model.predict(X_test))
        mlflow.log_metrics(metrics)
        log_precision_recall_plot(model, name)
    model_id = mlflow.last_logged_model().model_id
    results[name] = {"run_id": run.info.run_id, "model_id": model_id, **metrics}

pd.DataFrame(results).T[["test_f1_macro", "test_true_positive_rate", "test_true_negative_rate"]]""",
    ),
    (
        "code",
        """\
best = max(results, key=lambda name: results[name]["test_f1_macro"])
version = mlflow.register_model(f"models:/{results[best]['model_id']}", MODEL_NAME)
print(f"Registered {best} (run {results[best]['run_id']}) as {MODEL_NAME} v{version.version}")""",
    ),
]

NOTEBOOKS: dict[str, list[Cell]] = {
    "quick_check.ipynb": QUICK_CHECK,
    "classification.ipynb": CLASSIFICATION,
}


def render(name: str, cells: list[Cell]) -> str:
    """One notebook as nbformat v4 JSON text, with stable cell ids and no outputs."""
    import nbformat
    from nbformat import v4

    stem = name.removesuffix(".ipynb").replace("_", "-")
    notebook = v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
    )
    for index, (kind, source) in enumerate(cells):
        make = v4.new_markdown_cell if kind == "markdown" else v4.new_code_cell
        notebook.cells.append(make(source, id=f"{stem}-{index}"))
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        path = NOTEBOOKS_DIR / name
        path.write_text(render(name, cells))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
