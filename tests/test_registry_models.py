"""Real models end to end with the stock client: log, register, load back by every URI form.

These need the artifact proxy as well as the registry: the client uploads model files through
`mlflow-artifacts` and downloads them again to load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import mlflow
import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.linear_model import LogisticRegression

from .helpers import API, unique

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")


@pytest.fixture(scope="module")
def moons() -> tuple[np.ndarray, np.ndarray]:
    return make_moons(n_samples=200, noise=0.25, random_state=7)


@pytest.fixture
def trained(moons) -> LogisticRegression:
    features, labels = moons
    return LogisticRegression().fit(features, labels)


@pytest.fixture
def experiment(tracking_uri, request) -> str:
    return mlflow.set_experiment(unique(request.node.name[:40])).experiment_id


def _log(model, moons, registered_model_name: str | None = None):
    features, _ = moons
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=registered_model_name,
            input_example=features[:3],
        )
    return run, info


def _predict_in_fresh_process(model_uri: str, features: np.ndarray) -> list:
    script = (
        "import json, sys, mlflow, numpy as np\n"
        "model = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "rows = np.array(json.loads(sys.stdin.read()))\n"
        "print(json.dumps([int(x) for x in model.predict(rows)]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, model_uri],
        input=json.dumps(features.tolist()),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_log_model_with_registered_name_loads_in_a_fresh_process(experiment, trained, moons):
    name = unique("moons")
    _, info = _log(trained, moons, registered_model_name=name)
    assert str(info.registered_model_version) == "1"
    features, _ = moons
    predicted = _predict_in_fresh_process(f"models:/{name}/1", features)
    assert predicted == trained.predict(features).tolist()


def test_model_loads_by_alias(client, experiment, trained, moons):
    name = unique("alias")
    _log(trained, moons, registered_model_name=name)
    client.set_registered_model_alias(name, "champion", "1")
    features, _ = moons
    loaded = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    assert loaded.predict(features).tolist() == trained.predict(features).tolist()


def test_register_model_from_a_run_uri(experiment, trained, moons):
    name = unique("from-run")
    run, _ = _log(trained, moons)
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert version.version == "1"
    features, _ = moons
    loaded = mlflow.sklearn.load_model(f"models:/{name}/1")
    assert loaded.predict(features).tolist() == trained.predict(features).tolist()


def test_stage_and_latest_uris_resolve(client, experiment, trained, moons):
    name = unique("stage")
    _log(trained, moons, registered_model_name=name)
    _log(trained, moons, registered_model_name=name)
    client.transition_model_version_stage(name, "1", "Production")
    features, _ = moons
    for uri in (f"models:/{name}/Production", f"models:/{name}/latest"):
        loaded = mlflow.pyfunc.load_model(uri)
        assert loaded.predict(features[:5]).tolist() == trained.predict(features[:5]).tolist()


def test_logged_model_is_ready_and_linked_to_its_run(client, experiment, trained, moons):
    run, info = _log(trained, moons)
    model = client.get_logged_model(info.model_id)
    assert model.status.to_int() == 2  # READY
    assert model.source_run_id == run.info.run_id
    outputs = client.get_run(run.info.run_id).outputs.model_outputs
    assert [output.model_id for output in outputs] == [info.model_id]
    files = {f.path for f in client.list_logged_model_artifacts(info.model_id)}
    assert "MLmodel" in files


def test_logged_model_artifact_directories_list_the_models_files(http, experiment, trained, moons):
    _, info = _log(trained, moons)
    url = f"{API}/logged-models/{info.model_id}/artifacts/directories"
    listing = http.get(url).json()
    assert listing["root_uri"].endswith(f"/models/{info.model_id}/artifacts")
    files = {entry["path"]: entry for entry in listing["files"]}
    assert files["MLmodel"]["file_size"] > 0 and not files["MLmodel"]["is_dir"]
    nested = http.get(url, params={"artifact_directory_path": "serving_input_example.json"})
    assert nested.json()["files"] == []
    escape = http.get(url, params={"artifact_directory_path": "../../.."})
    assert escape.status_code == 400


def test_autolog_records_params_metrics_model_and_signature(client, experiment, moons):
    features, labels = moons
    mlflow.sklearn.autolog()
    try:
        with mlflow.start_run() as run:
            trained = LogisticRegression(C=0.5).fit(features, labels)
    finally:
        mlflow.sklearn.autolog(disable=True)
    data = client.get_run(run.info.run_id).data
    assert data.params["C"] == "0.5"
    assert "training_accuracy_score" in data.metrics
    model_id = client.get_run(run.info.run_id).outputs.model_outputs[0].model_id
    info = mlflow.models.get_model_info(f"models:/{model_id}")
    assert info.signature is not None
    loaded = mlflow.pyfunc.load_model(f"models:/{model_id}")
    assert loaded.predict(features).tolist() == trained.predict(features).tolist()


def test_ui_file_downloads_of_a_version_and_a_logged_model(http, experiment, trained, moons):
    name = unique("files")
    _, info = _log(trained, moons, registered_model_name=name)
    by_version = http.get(
        "/model-versions/get-artifact", params={"name": name, "version": "1", "path": "MLmodel"}
    )
    by_model = http.get(
        f"/ajax-api/2.0/mlflow/logged-models/{info.model_id}/artifacts/files",
        params={"artifact_file_path": "MLmodel"},
    )
    assert by_version.status_code == by_model.status_code == 200
    assert by_version.content == by_model.content
    assert b"sklearn" in by_version.content
    missing = http.get(
        f"/ajax-api/2.0/mlflow/logged-models/{info.model_id}/artifacts/files",
        params={"artifact_file_path": "../secret"},
    )
    assert missing.status_code == 400


class _Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return [2 * value for value in model_input["x"]]


def test_pyfunc_python_model_registers_and_loads(experiment):
    import pandas as pd

    name = unique("pyfunc")
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            name="doubler",
            python_model=_Doubler(),
            registered_model_name=name,
            input_example=pd.DataFrame({"x": [1.0, 2.0]}),
        )
    assert info.model_uri == f"models:/{info.model_id}"
    loaded = mlflow.pyfunc.load_model(f"models:/{name}/1")
    assert list(loaded.predict(pd.DataFrame({"x": [3.0, 4.5]}))) == [6.0, 9.0]
