"""`trackyard import`: MLflow deployments written by the stock `mlflow server` 3.17.2 and
client, imported and read back through the stock client from a trackyard server."""

from __future__ import annotations

import base64
import copy
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import mlflow
import pandas as pd
import pytest

from trackyard.importer.traces import Trace, span_records, traces_json_spans
from trackyard.store.traces import NewTrace

from .artifact_fixtures import BUCKET
from .artifact_stores import S3_CREDENTIALS
from .conftest import require_postgres
from .mlflow_source import (
    ATTACHED,
    MODEL_NAME,
    attachment_reference,
    generate_mlflow_db,
    log_trace_with_spans_in_artifacts,
    mlflow_server,
    populate,
    snapshot,
    without_locations,
)
from .servers import postgres_database, running_server

SPANS_LOCATION = "mlflow.trace.spansLocation"


def trackyard_import(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "trackyard", "import", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stderr + result.stdout
    return result


def store_dump(path: Path) -> dict:
    """Every row of every table of a trackyard SQLite store, by table, in order."""
    db = sqlite3.connect(path)
    tables = [
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name != "sqlite_sequence"
    ]
    dump = {table: sorted(map(repr, db.execute(f"SELECT * FROM {table}"))) for table in tables}
    db.close()
    return dump


@pytest.fixture(scope="module")
def mlflow_sqlite(tmp_path_factory):
    """A stock mlflow server's SQLite database and artifacts, with a trace whose spans are in
    traces.json alone, and what its client read (that trace as trackyard serves it once its
    spans are in the store: tagged so)."""
    folder = tmp_path_factory.mktemp("mlflow-sqlite")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with mlflow_server(uri, folder) as url:
        populate(url)
        main = mlflow.MlflowClient(url).get_experiment_by_name("import-main").experiment_id
        trace_id = log_trace_with_spans_in_artifacts(url, main, folder / "scratch")
        expected = snapshot(url)
    assert expected["traces"][trace_id]["spans"]
    expected["traces"][trace_id]["tags"][SPANS_LOCATION] = "TRACKING_STORE"
    return uri, folder / "artifacts", expected


def traces_json_trace(expected: dict) -> str:
    """The id of the source's trace whose spans MLflow kept in traces.json alone."""
    return next(
        trace_id
        for trace_id, trace in expected["traces"].items()
        if trace["spans"][0]["name"] == "old-client"
    )


@pytest.fixture(scope="module")
def imported(mlflow_sqlite, tmp_path_factory):
    """The SQLite source imported once into a trackyard SQLite store; its folder."""
    uri, artifacts, _ = mlflow_sqlite
    folder = tmp_path_factory.mktemp("imported")
    trackyard_import(
        "--from", uri, "--from-artifacts", str(artifacts),
        "--to", f"sqlite:///{folder / 'trackyard.db'}",
        "--artifacts-destination", str(folder / "artifacts"),
    )  # fmt: skip
    return folder


def test_sqlite_source_reads_back_as_mlflow_served_it(mlflow_sqlite, imported):
    _, _, expected = mlflow_sqlite
    db = f"sqlite:///{imported / 'trackyard.db'}"
    with running_server(imported, db) as server:
        assert snapshot(server.url) == expected


def test_imported_logged_model_loads_and_predicts(imported, monkeypatch):
    db = f"sqlite:///{imported / 'trackyard.db'}"
    with running_server(imported, db) as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        mlflow.set_tracking_uri(server.url)
        model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@champion")
        predicted = model.predict(pd.DataFrame({"x": [1, 5]}))
    assert predicted["x"].tolist() == [3, 7]


def test_importing_twice_changes_nothing(mlflow_sqlite, imported):
    uri, artifacts, _ = mlflow_sqlite
    before = store_dump(imported / "trackyard.db")
    result = trackyard_import(
        "--from", uri, "--from-artifacts", str(artifacts),
        "--to", f"sqlite:///{imported / 'trackyard.db'}",
        "--artifacts-destination", str(imported / "artifacts"),
    )  # fmt: skip
    assert store_dump(imported / "trackyard.db") == before
    assert "runs: 0 imported" in result.stdout


def test_spans_kept_only_in_traces_json_are_imported_into_the_store(mlflow_sqlite, imported):
    uri, _, expected = mlflow_sqlite
    trace_id = traces_json_trace(expected)
    source = sqlite3.connect(uri.removeprefix("sqlite:///"))
    rows = source.execute("SELECT COUNT(*) FROM spans WHERE trace_id = ?", (trace_id,))
    assert rows.fetchone()[0] == 0
    source.close()
    assert not list((imported / "artifacts").rglob("traces.json"))  # not copied: stored
    with running_server(imported, f"sqlite:///{imported / 'trackyard.db'}") as server:
        trace = mlflow.MlflowClient(server.url).get_trace(trace_id)
    assert [span.to_dict() for span in trace.data.spans] == expected["traces"][trace_id]["spans"]
    assert [span.name for span in trace.data.spans] == ["old-client", "lookup"]
    assert trace.info.tags[SPANS_LOCATION] == "TRACKING_STORE"


def served_attachment(server_url: str, reference: dict) -> bytes:
    response = httpx.get(
        f"{server_url}/ajax-api/3.0/mlflow/get-trace-artifact",
        params={"request_id": reference["trace_id"], "path": reference["attachment_id"]},
    )
    assert response.status_code == 200, response.text
    return response.content


def test_a_traces_attachments_are_copied_and_served(mlflow_sqlite, imported):
    _, _, expected = mlflow_sqlite
    reference = attachment_reference(expected)
    with running_server(imported, f"sqlite:///{imported / 'trackyard.db'}") as server:
        assert served_attachment(server.url, reference) == ATTACHED
    copied = imported / "artifacts" / f"{reference['trace_id']}"
    assert not copied.exists()  # under its experiment's folder, as the server puts them
    assert [path.name for path in (imported / "artifacts").rglob(reference["attachment_id"])] == [
        reference["attachment_id"]
    ]


def test_spans_in_an_unreadable_traces_json_are_reported_and_a_rerun_reading_it_adds_them(
    mlflow_sqlite, tmp_path
):
    uri, artifacts, expected = mlflow_sqlite
    trace_id = traces_json_trace(expected)
    args = ["--from", uri, "--to", f"sqlite:///{tmp_path / 't.db'}", "--keep-artifact-uris"]
    result = trackyard_import(*args)
    assert "traces' spans: 1 imported" in result.stdout
    reason = "1 skipped: kept by MLflow only in traces.json, at a location not readable here"
    assert reason in result.stdout
    assert _span_count(tmp_path / "t.db", trace_id) == 0  # the trace came across without
    result = trackyard_import(*args, "--from-artifacts", str(artifacts))
    assert "traces: 0 imported, 2 already in the store" in result.stdout
    assert "traces' spans: 1 imported" in result.stdout
    assert _span_count(tmp_path / "t.db", trace_id) == 2


def _span_count(store: Path, trace_id: str) -> int:
    db = sqlite3.connect(store)
    try:
        return db.execute(
            "SELECT COUNT(spans.span_id) FROM traces JOIN spans ON spans.trace_key = traces.id "
            "WHERE traces.trace_id = ?",
            (trace_id,),
        ).fetchone()[0]
    finally:
        db.close()


def test_spans_mlflow_archived_are_read_from_traces_pb(mlflow_sqlite, tmp_path):
    """MLflow 3.17's trace archival (its store's `archive_traces`, which the server's job
    runner calls under MLFLOW_TRACE_ARCHIVAL_CONFIG; here called on a copy of the database,
    with the experiment tag that asks for archival now) moves the spans of a trace logged
    over OTLP into traces.pb and empties them in the `spans` table."""
    from mlflow.entities import ExperimentTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    uri, artifacts, expected = mlflow_sqlite
    source = tmp_path / "mlflow.db"
    shutil.copy(uri.removeprefix("sqlite:///"), source)
    store = SqlAlchemyStore(f"sqlite:///{source}", str(artifacts))
    main = store.get_experiment_by_name("import-main").experiment_id
    store.set_experiment_tag(main, ExperimentTag("mlflow.trace.archiveNow", "{}"))
    archive = (tmp_path / "archive").as_uri()
    assert store.archive_traces(resolved_trace_archival_location=archive, broader_retention="30d")
    store.engine.dispose()
    (trace_id,) = (t for t in expected["traces"] if t != traces_json_trace(expected))
    db = sqlite3.connect(source)
    assert db.execute("SELECT content FROM spans WHERE trace_id = ?", (trace_id,)).fetchall()
    assert not db.execute(
        "SELECT 1 FROM spans WHERE trace_id = ? AND content != ''", (trace_id,)
    ).fetchall()
    db.close()
    store_uri = f"sqlite:///{tmp_path / 't.db'}"
    args = ["--from", f"sqlite:///{source}", "--from-artifacts", str(artifacts)]
    result = trackyard_import(*args, "--to", store_uri, "--keep-artifact-uris")
    assert "traces' spans: 2 imported" in result.stdout
    with running_server(tmp_path, store_uri) as server:
        trace = mlflow.MlflowClient(server.url).get_trace(trace_id)
    assert [span.to_dict() for span in trace.data.spans] == expected["traces"][trace_id]["spans"]


def test_a_missing_or_malformed_traces_json_is_reported(tmp_path):
    assert traces_json_spans(tmp_path) == (
        [],
        "kept by MLflow only in traces.json, which is not at its location",
    )
    (tmp_path / "traces.json").write_text('{"spans": [{"trace_id": "not an id"}]}')
    assert traces_json_spans(tmp_path) == (
        [],
        "traces.json could not be read (not MLflow's trace data)",
    )


def test_traces_json_is_read_in_the_shape_of_every_mlflow_version(mlflow_sqlite, tmp_path):
    """2.x wrote spans with a `context` and hex ids, 3.5.0 hex ids and status names; all
    are stored as 3.x's form (the file the stock client wrote) is."""
    _, artifacts, expected = mlflow_sqlite
    trace_id = traces_json_trace(expected)
    (path,) = artifacts.glob(f"*/traces/{trace_id}/artifacts/traces.json")
    written = json.loads(path.read_text())["spans"]
    hex_ids = [
        {
            **span,
            "trace_id": trace_id,
            "span_id": _hex(span["span_id"]),
            "parent_span_id": span["parent_span_id"] and _hex(span["parent_span_id"]),
            "status": {**span["status"], "code": span["status"]["code"].split("_")[-1]},
        }
        for span in written
    ]
    version_2 = [
        {
            "name": span["name"],
            "context": {"trace_id": "0x" + _hex(span["trace_id"]),
                        "span_id": "0x" + _hex(span["span_id"])},
            "parent_id": span["parent_span_id"] and "0x" + _hex(span["parent_span_id"]),
            "start_time": span["start_time_unix_nano"],
            "end_time": span["end_time_unix_nano"],
            "status_code": span["status"]["code"].split("_")[-1],
            "status_message": span["status"]["message"],
            "attributes": span["attributes"],
            "events": [{"name": e["name"], "timestamp": e["time_unix_nano"],
                        "attributes": e["attributes"]} for e in span["events"]],
        }
        for span in written
    ]  # fmt: skip
    info = NewTrace(trace_id, "1", 0, None, "OK")
    stored = span_records(Trace(info, traces_json_spans(path.parent)[0]))
    assert len(stored) == 2
    for shape in (hex_ids, version_2):
        (tmp_path / "traces.json").write_text(json.dumps({"spans": shape}))
        spans, skipped = traces_json_spans(tmp_path)
        assert skipped is None
        assert span_records(Trace(info, spans)) == stored


def _hex(base64_id: str) -> str:
    return base64.b64decode(base64_id).hex()


def test_the_summary_says_what_was_skipped_and_why(mlflow_sqlite, tmp_path):
    uri, _, _ = mlflow_sqlite
    other = tmp_path / "other.db"
    generate_mlflow_db(other, runs=3, points_per_run=4, experiments=2)  # ids 1 and 2 taken
    store = f"sqlite:///{tmp_path / 't.db'}"
    trackyard_import("--from", f"sqlite:///{other}", "--to", store, "--keep-artifact-uris")
    result = trackyard_import("--from", uri, "--to", store, "--keep-artifact-uris")
    assert "2 skipped: its id belongs to another experiment in the store" in result.stdout
    assert "skipped: its experiment was not imported" in result.stdout
    assert "traces: 0 imported" in result.stdout
    db = sqlite3.connect(tmp_path / "t.db")
    assert dict(db.execute("SELECT experiment_id, name FROM experiments")) == {
        0: "Default",
        1: "b-1",
        2: "b-2",
    }
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3
    db.close()


def test_proxied_locations_without_from_artifacts_are_kept_and_reported(mlflow_sqlite, tmp_path):
    uri, _, _ = mlflow_sqlite
    result = trackyard_import(
        "--from", uri, "--to", f"sqlite:///{tmp_path / 't.db'}",
        "--artifacts-destination", str(tmp_path / "artifacts"),
    )  # fmt: skip
    assert "location not readable here" in result.stdout
    db = sqlite3.connect(tmp_path / "t.db")
    uris = {row[0].split("/")[0] for row in db.execute("SELECT artifact_uri FROM runs")}
    assert uris == {"mlflow-artifacts:"}


def test_keep_artifact_uris_copies_nothing(mlflow_sqlite, tmp_path):
    uri, artifacts, expected = mlflow_sqlite
    trackyard_import(
        "--from", uri, "--from-artifacts", str(artifacts), "--keep-artifact-uris",
        "--to", f"sqlite:///{tmp_path / 't.db'}",
    )  # fmt: skip
    assert not (tmp_path / "artifacts").exists()
    with running_server(tmp_path, f"sqlite:///{tmp_path / 't.db'}") as server:
        state = snapshot(server.url)
    assert state["runs"].keys() == expected["runs"].keys()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_an_interrupted_import_resumes_to_the_same_store(sig, tmp_path):
    source = tmp_path / "big.db"
    generate_mlflow_db(source, runs=3000, points_per_run=200)
    args = ["--from", f"sqlite:///{source}", "--keep-artifact-uris"]
    whole = tmp_path / "whole.db"
    trackyard_import(*args, "--to", f"sqlite:///{whole}")
    for attempt in range(3):  # an import that ends before the signal lands is tried again
        broken = tmp_path / f"broken-{attempt}.db"
        process = subprocess.Popen(
            [sys.executable, "-m", "trackyard", "import", *args, "--to", f"sqlite:///{broken}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while _run_count(broken) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(sig)
        returncode = process.wait()
        if not (returncode == 0 and _run_count(broken) == 3000):
            break
    assert returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    assert 0 < _run_count(broken) < 3000
    trackyard_import(*args, "--to", f"sqlite:///{broken}")
    assert store_dump(broken) == store_dump(whole)


def _run_count(path: Path) -> int:
    try:
        db = sqlite3.connect(path, timeout=5)
        try:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:  # not created or migrated yet
        return 0


def _import_and_compare(
    source: str,
    artifacts: Path | None,
    expected: dict,
    folder: Path,
    store: str | None = None,
    locations: bool = True,
) -> None:
    """Imports `source` into a fresh store and compares what a trackyard server serves."""
    store = store or f"sqlite:///{folder / 'trackyard.db'}"
    from_artifacts = ["--from-artifacts", str(artifacts)] if artifacts else []
    trackyard_import(
        "--from", source, *from_artifacts, "--to", store,
        "--artifacts-destination", str(folder / "artifacts"),
    )  # fmt: skip
    with running_server(folder, store) as server:
        state = snapshot(server.url)
    if not locations:
        state, expected = without_locations(state), without_locations(copy.deepcopy(expected))
    assert state == expected


@pytest.mark.parametrize("kind", ["sftp", "s3"])
def test_artifacts_are_copied_to_a_remote_destination(
    kind, mlflow_sqlite, tmp_path, request, monkeypatch
):
    uri, artifacts, expected = mlflow_sqlite
    if kind == "s3":
        moto = request.getfixturevalue("moto_s3")
        for name, value in S3_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        destination = [
            "--artifacts-destination", f"s3://{BUCKET}/import-{tmp_path.name}",
            "--s3-endpoint-url", moto.endpoint,
        ]  # fmt: skip
    else:
        remote = tmp_path / "remote"
        remote.mkdir()
        destination = request.getfixturevalue("sshd").server_args(remote)
    store = f"sqlite:///{tmp_path / 't.db'}"
    trackyard_import("--from", uri, "--from-artifacts", str(artifacts), "--to", store, *destination)
    with running_server(tmp_path, store, *destination) as server:
        assert snapshot(server.url) == expected


def test_sqlite_source_into_a_postgresql_store(mlflow_sqlite, tmp_path):
    require_postgres()
    uri, artifacts, expected = mlflow_sqlite
    with postgres_database() as store:
        _import_and_compare(uri, artifacts, expected, tmp_path, store=store)


def test_postgresql_source_reads_back_as_mlflow_served_it(tmp_path):
    require_postgres()
    with postgres_database() as source, mlflow_server(source, tmp_path) as url:
        populate(url)
        expected = snapshot(url)
        target = tmp_path / "target"
        target.mkdir()
        _import_and_compare(source, tmp_path / "artifacts", expected, target)


def test_mysql_source_reads_back_as_mlflow_served_it(mariadb, tmp_path):
    with mariadb.database() as source, mlflow_server(source, tmp_path) as url:
        populate(url)
        expected = snapshot(url)
        target = tmp_path / "target"
        target.mkdir()
        _import_and_compare(source, tmp_path / "artifacts", expected, target)


# A file store numbers experiments with 18 digits (19 where a leading zero was replaced);
# the main experiment is renumbered to one near the top of the 64-bit range.
FILE_STORE_ID = "9000000000000000001"


@pytest.fixture(scope="module")
def mlruns(tmp_path_factory) -> tuple[Path, dict]:
    """An mlruns folder written by the stock client, its main experiment renumbered with 19
    digits, and what the client reads from it, as a server answers."""
    folder = tmp_path_factory.mktemp("mlruns-source")
    mlruns = folder / "mlruns"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        populate(mlruns.as_uri())
        renumber_experiment(mlruns, "import-main", FILE_STORE_ID)
        expected = as_a_server_answers(snapshot(mlruns.as_uri()))
    assert FILE_STORE_ID in expected["experiments"]
    assert expected["traces"]
    assert any(len(key) == 18 for key in expected["experiments"])  # the deleted one's
    return mlruns, expected


def renumber_experiment(mlruns: Path, name: str, new_id: str) -> None:
    """Gives a file store's experiment another id: its folder and every text file that
    names the old one (meta.yaml files, locations, trace info)."""
    old = next(
        meta.parent.name
        for meta in mlruns.glob("*/meta.yaml")
        if f"name: {name}\n" in meta.read_text()
    )
    (mlruns / old).rename(mlruns / new_id)
    for path in mlruns.rglob("*"):
        try:
            text = path.read_text() if path.is_file() else ""
        except UnicodeDecodeError:
            continue
        if old in text:
            path.write_text(text.replace(old, new_id))


def test_mlruns_folder_reads_back_as_the_client_wrote_it(mlruns, tmp_path):
    folder, expected = mlruns
    _import_and_compare(str(folder), None, expected, tmp_path, locations=False)


def test_mlruns_trace_attachments_move_into_the_destination(mlruns, tmp_path):
    """A file store's trace names a file: location; the import copies its attachments into
    the destination and the trace names its new place."""
    folder, expected = mlruns
    reference = attachment_reference(expected)
    store = f"sqlite:///{tmp_path / 'trackyard.db'}"
    trackyard_import(
        "--from", str(folder), "--to", store, "--artifacts-destination", str(tmp_path / "artifacts")
    )  # fmt: skip
    with running_server(tmp_path, store) as server:
        assert served_attachment(server.url, reference) == ATTACHED
        trace = mlflow.MlflowClient(server.url).get_trace(reference["trace_id"])
    location = trace.info.tags["mlflow.artifactLocation"]
    assert location == f"mlflow-artifacts:/{FILE_STORE_ID}/traces/{reference['trace_id']}/artifacts"


def test_mlruns_folder_into_postgresql_keeps_its_19_digit_experiment_ids(mlruns, tmp_path):
    require_postgres()
    folder, expected = mlruns
    with postgres_database() as store:
        _import_and_compare(str(folder), None, expected, tmp_path, store=store, locations=False)
        with running_server(tmp_path, store) as server:
            client = mlflow.MlflowClient(server.url)
            assert client.get_experiment(FILE_STORE_ID).name == "import-main"
            assert int(client.create_experiment("made-after-the-import")) < 10


def as_a_server_answers(state: dict) -> dict:
    """A file store snapshot as a server's JSON gives it: the client reads a file store's
    version numbers as numbers (the API's are text) and unset texts (a model's description,
    a version's run link) as None (a server sends ''). A trace's spans, which the file
    store keeps in an artifact, are in the tracking store, as its tag says."""
    for model in state["models"].values():
        head = model["model"]
        model["model"] = (*head[:2], head[2] or "", *head[3:])
        model["versions"] = [(str(v[0]), *v[1:7], v[7] or "", *v[8:]) for v in model["versions"]]
    for trace in state["traces"].values():
        trace["tags"]["mlflow.trace.spansLocation"] = "TRACKING_STORE"
    return state
