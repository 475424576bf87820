"""The web UI with access control on (issue 18), in Debian's Chromium through Playwright
against a real `trackyard server --auth` whose first admin comes from the environment:
signing in and out, readable 403s, controls not offered, the Access dialog, the users page
and personal access tokens used by the stock mlflow client. Screenshots: test-output/ui-access/.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource, Metric, Param
from mlflow.exceptions import MlflowException

from .access_fixtures import ADMIN, PASSWORD, AuthServer, auth_server
from .browser import require_axe, serious_violations, wait_until_decoded
from .servers import start_server
from .ui_trace_data import _last, ask, look, picture

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "ui-access"
CREDENTIAL_VARIABLES = (
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
)
HOSTILE = '<img src=x onerror="window.pwned=1">&amp;'


class Seeded:
    def __init__(self, experiment_id: str, run_id: str) -> None:
        self.experiment_id, self.run_id = experiment_id, run_id
        self.trace_id = ""


MODEL = "catalog"
CONTRIBUTOR = "contributor"  # EDIT on the seeded experiment and on MODEL
# Every control that changes something on the run, model, version and trace pages.
EDIT_CONTROLS = re.compile(
    r"^(Rename|Delete|Restore|Edit|Add|Add tag|Add alias|Remove alias .+"
    r"|Add feedback|Add expectation)$"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[AuthServer]:
    data_dir = tmp_path_factory.mktemp("ui-access")
    with auth_server(data_dir, f"sqlite:///{data_dir / 'auth.db'}") as found:
        yield found


@pytest.fixture(scope="module")
def seeded(server: AuthServer) -> Seeded:
    """An experiment and a run the admin made; users who read it by the default (READ)."""
    client = stock_client(server, basic=ADMIN)
    experiment_id = client.create_experiment("shared")
    run = client.create_run(experiment_id, run_name="baseline")
    client.set_tag(run.info.run_id, "note", "seeded")
    for name in ("reader", "writer", "tokenuser", HOSTILE):
        server.user(name)
    return Seeded(experiment_id, run.info.run_id)


@pytest.fixture(scope="module")
def editable(server: AuthServer, seeded: Seeded) -> Seeded:
    """MODEL with a version, an alias, a tag and a description; a trace in the seeded
    experiment with a tag and feedback; CONTRIBUTOR holding EDIT on both."""
    model = {"name": MODEL}
    server.ok("POST", "/api/2.0/mlflow/registered-models/create", json=model)
    source = {"source": f"runs:/{seeded.run_id}/model", "run_id": seeded.run_id}
    server.ok("POST", "/api/2.0/mlflow/model-versions/create", json={**model, **source})
    server.ok(
        "POST",
        "/api/2.0/mlflow/registered-models/alias",
        json={**model, "alias": "champion", "version": "1"},
    )
    server.ok(
        "POST",
        "/api/2.0/mlflow/registered-models/set-tag",
        json={**model, "key": "team", "value": "search"},
    )
    server.ok(
        "PATCH", "/api/2.0/mlflow/registered-models/update", json={**model, "description": "Ranks."}
    )
    stock_client(server, basic=ADMIN)
    mlflow.set_tracking_uri(server.url)
    mlflow.set_experiment(experiment_id=seeded.experiment_id)
    ask("What is the capital of France?")
    seeded.trace_id = _last()
    source = AssessmentSource(source_type="HUMAN", source_id="reviewer")
    mlflow.log_feedback(trace_id=seeded.trace_id, name="correct", value=True, source=source)
    server.user(CONTRIBUTOR)
    server.grant(CONTRIBUTOR, "experiment", seeded.experiment_id, "EDIT")
    server.grant(CONTRIBUTOR, "registered_model", MODEL, "EDIT")
    return seeded


def stock_client(server: AuthServer, *, basic=None, token=None) -> MlflowClient:
    """The stock client with Basic or Bearer credentials (read from the environment at each
    call, as the client does)."""
    for name in CREDENTIAL_VARIABLES:
        os.environ.pop(name, None)
    if basic:
        os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"] = basic
    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
    return MlflowClient(tracking_uri=server.url)


@pytest.fixture(autouse=True)
def clean_credentials() -> Iterator[None]:
    """No test's client credentials reach another test."""
    yield
    for name in CREDENTIAL_VARIABLES:
        os.environ.pop(name, None)


@pytest.fixture
def open_page(browser, request):
    """open_page(server, width, theme) -> a page whose console errors are collected."""
    contexts = []

    def make(server_url: str, width: int = 1440, theme: str = "light"):
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(f"{server_url}/#/experiments")
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, username: str, password: str = PASSWORD, *, succeeds: bool = True) -> None:
    """Sign in on the sign-in page; wait for the reloaded page's header to name the user."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if succeeds:
        expect(page.locator("[data-role=current-user]")).to_have_text(username)


def run_tags(server: AuthServer, run_id: str) -> dict[str, str]:
    run = server.ok("GET", "/api/2.0/mlflow/runs/get", params={"run_id": run_id})["run"]
    return {tag["key"]: tag["value"] for tag in run["data"].get("tags", [])}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_sign_in_refuses_a_wrong_password_then_shows_the_user_and_signs_out(
    server, seeded, open_page
):
    page = open_page(server.url)
    expect(page.get_by_role("heading", name="Sign in to trackyard")).to_be_visible()
    sign_in(page, ADMIN[0], "not-the-password", succeeds=False)
    expect(page.locator(".sign-in-form [role=alert]")).to_have_text("Invalid username or password.")
    sign_in(page, *ADMIN)
    expect(page.locator("[data-role=current-user]")).to_have_text(ADMIN[0])
    expect(page.locator("[data-role=experiments]")).to_contain_text("shared")
    cookie = next(c for c in page.context.cookies() if c["name"] == "trackyard_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.locator("[data-role=sign-out]").click()
    expect(page.get_by_role("heading", name="Sign in to trackyard")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "trackyard_session"]
    assert page.errors == []


def test_the_ui_alias_answers_401_without_a_basic_challenge(server):
    """A challenged 401 to a page's fetch opens the browser's own dialog; /api keeps it."""
    ui = httpx.get(f"{server.url}/ajax-api/2.0/mlflow/users/current")
    client = httpx.get(f"{server.url}/api/2.0/mlflow/users/current")
    assert ui.status_code == client.status_code == 401
    assert "www-authenticate" not in ui.headers
    assert client.headers["www-authenticate"] == 'Basic realm="trackyard"'
    assert ui.json()["error_code"] == "UNAUTHENTICATED"


def test_session_current_names_the_sessions_user_and_never_refuses(server, seeded):
    path = f"{server.url}/ajax-api/2.0/trackyard/session/current"
    assert httpx.get(path).json() == {"auth": True, "user": None}
    forged = httpx.get(path, cookies={"trackyard_session": "tyt_forged'; DROP TABLE users;--"})
    assert forged.status_code == 200 and forged.json()["user"] is None
    with httpx.Client() as browser:
        signed = browser.post(
            f"{server.url}/ajax-api/2.0/trackyard/session/sign-in",
            json={"username": "reader", "password": PASSWORD},
            headers={"Origin": server.url},
        )
        assert signed.status_code == 200
        assert browser.get(path).json()["user"]["username"] == "reader"


def test_session_current_says_auth_is_off(tmp_path):
    process = start_server(tmp_path, f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        answer = httpx.get(f"{process.url}/ajax-api/2.0/trackyard/session/current")
        assert answer.status_code == 200 and answer.json() == {"auth": False, "user": None}
    finally:
        process.stop()


def test_read_only_user_is_offered_no_write_controls_on_a_run(server, seeded, open_page):
    page = open_page(server.url)
    sign_in(page, "reader")
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}/runs/{seeded.run_id}")
    expect(page.locator("[data-role=run-name]")).to_have_text("baseline")
    expect(page.locator("[data-role=run-details]")).to_be_visible()
    assert page.locator("[data-role=delete-run]").count() == 0
    assert page.get_by_role("button", name="Rename").count() == 0
    assert page.get_by_role("button", name="Add tag").count() == 0
    assert page.locator("[data-role=access]:visible").count() == 0
    assert page.errors == []


def test_read_only_user_is_offered_no_rename_or_delete_on_the_experiments_list(
    server, seeded, open_page
):
    page = open_page(server.url)
    sign_in(page, "reader")
    row = page.locator(f"[data-role=experiments] tr[data-experiment-id='{seeded.experiment_id}']")
    expect(row).to_contain_text("shared")
    assert row.get_by_role("button").count() == 0
    page.locator("[data-role=sign-out]").click()
    sign_in(page, *ADMIN)
    expect(row.get_by_role("button", name="Delete")).to_be_visible()


@pytest.mark.parametrize("user", ["reader", CONTRIBUTOR])
def test_edit_controls_on_a_registered_model_are_offered_only_with_edit(
    server, editable, open_page, user
):
    page = open_page(server.url)
    sign_in(page, user)
    page.goto(f"{server.url}/#/models/{MODEL}")
    expect(page.locator("[data-role=versions]")).to_be_visible()
    edits = page.locator(".page").get_by_role("button", name=EDIT_CONTROLS)
    if user == "reader":
        expect(edits).to_have_count(0)
        expect(page.locator("[data-role=aliases]")).to_contain_text("@champion")
    else:
        for name in ("Add alias", "Add tag", "Edit", "Remove alias champion"):
            expect(page.locator(".page").get_by_role("button", name=name).first).to_be_visible()
    expect(page.locator("[data-role=access]")).to_be_hidden()  # MANAGE only
    assert page.errors == []


@pytest.mark.parametrize("user", ["reader", CONTRIBUTOR])
def test_a_model_versions_stage_and_aliases_are_changeable_only_with_edit(
    server, editable, open_page, user
):
    page = open_page(server.url)
    sign_in(page, user)
    page.goto(f"{server.url}/#/models/{MODEL}/versions/1")
    expect(page.locator("[data-role=aliases]")).to_contain_text("@champion")
    stage = page.locator("[data-role=stage]")
    edits = page.locator(".page").get_by_role("button", name=EDIT_CONTROLS)
    if user == "reader":
        expect(stage).to_have_count(0)
        expect(edits).to_have_count(0)
    else:
        expect(stage).to_be_enabled()
        expect(page.locator(".page").get_by_role("button", name="Add alias")).to_be_visible()


@pytest.mark.parametrize("user", ["reader", CONTRIBUTOR])
def test_a_traces_tags_and_assessments_are_editable_only_with_edit(
    server, editable, open_page, user
):
    page = open_page(server.url)
    sign_in(page, user)
    page.goto(f"{server.url}/#/experiments/{editable.experiment_id}/traces/{editable.trace_id}")
    assessments = page.locator("[data-role=assessments]")
    expect(assessments).to_contain_text("correct")
    edits = page.locator(".trace-side").get_by_role("button", name=EDIT_CONTROLS)
    if user == "reader":
        expect(edits).to_have_count(0)
    else:
        expect(assessments.get_by_role("button", name="Add feedback")).to_be_visible()
        expect(assessments.get_by_role("button", name="Edit")).to_be_visible()
        expect(assessments.get_by_role("button", name="Delete")).to_have_count(0)  # MANAGE
        expect(page.locator(".trace-side").get_by_role("button", name="Add tag")).to_be_visible()
    assert page.errors == []


def test_edit_user_may_rename_and_tag_but_not_delete_an_experiment_or_run(
    server, editable, open_page
):
    page = open_page(server.url)
    sign_in(page, CONTRIBUTOR)
    row = page.locator(f"[data-role=experiments] tr[data-experiment-id='{editable.experiment_id}']")
    expect(row.get_by_role("button", name="Rename")).to_be_visible()
    expect(row.get_by_role("button", name="Delete")).to_have_count(0)
    page.goto(f"{server.url}/#/experiments/{editable.experiment_id}/runs/{editable.run_id}")
    expect(page.get_by_role("button", name="Add tag")).to_be_visible()
    expect(page.get_by_role("button", name="Rename")).to_be_visible()
    expect(page.locator("[data-role=delete-run]")).to_have_count(0)
    assert page.errors == []


def test_a_write_refused_after_the_grant_was_revoked_reads_as_a_permission_message(
    server, seeded, open_page
):
    server.user("editor")
    server.grant("editor", "experiment", seeded.experiment_id, "EDIT")
    page = open_page(server.url)
    sign_in(page, "editor")
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}/runs/{seeded.run_id}")
    page.get_by_role("button", name="Add tag").click()
    body = {"username": "editor", "resource_type": "experiment"}
    server.ok(
        "POST",
        "/api/3.0/mlflow/users/permissions/revoke",
        json={**body, "resource_id": seeded.experiment_id},
    )
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Key").fill("late")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(".field-error")).to_contain_text(
        "You do not have permission to change this run."
    )
    expect(page.locator("[data-role=run-details]")).to_be_visible()  # the page stays whole
    shot(page, "refused-write")
    assert "late" not in run_tags(server, seeded.run_id)


@pytest.fixture(scope="module")
def pictured(server: AuthServer, seeded: Seeded) -> str:
    """A trace in the seeded experiment whose spans hold a picture (attachments); its id."""
    stock_client(server, basic=ADMIN)
    mlflow.set_tracking_uri(server.url)
    mlflow.set_experiment(experiment_id=seeded.experiment_id)
    look("data:image/png;base64," + base64.b64encode(picture()).decode())
    return _last()


def test_a_signed_in_reader_sees_a_traces_picture(server, seeded, pictured, open_page):
    """The picture loads with the session cookie (an <img> sends no Authorization header)."""
    page = open_page(server.url)
    sign_in(page, "reader")
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}/traces/{pictured}")
    image = page.locator("[data-role=span-inputs] [data-role=attachment] img")
    expect(image).to_be_visible()
    wait_until_decoded(image)
    assert page.errors == []


def test_a_traces_attachment_needs_credentials(server, seeded, pictured):
    path = "/ajax-api/3.0/mlflow/get-trace-artifact"
    url = server.url + path
    spans = server.ok("GET", path, params={"request_id": pictured})["spans"]
    root = next(span for span in spans if not span["parent_span_id"])
    reference = json.loads(root["attributes"]["mlflow.spanInputs"])["url"]
    attachment = reference.split("://", 1)[1].split("?", 1)[0]
    params = {"request_id": pictured, "path": attachment}
    assert httpx.get(url, params=params).status_code == 401
    assert httpx.get(url, params=params, auth=("reader", PASSWORD)).status_code == 200


def test_my_experiment_permissions_answers_each_id(server, seeded):
    path = "/api/2.0/trackyard/permissions/experiments"
    ids = {"experiment_ids": [seeded.experiment_id, "0", "99999"]}
    answer = server.ok("GET", path, ("reader", PASSWORD), params=ids)["permissions"]
    assert answer == {seeded.experiment_id: "READ", "0": "READ", "99999": "READ"}
    assert server.ok("GET", path, params=ids)["permissions"][seeded.experiment_id] == "MANAGE"


@pytest.mark.parametrize(
    "ids",
    [["1 OR 1=1"], ["-1"], [str(2**63)], ["<b>"], [str(i) for i in range(1001)]],
    ids=["sql", "negative", "overflow", "markup", "too-many"],
)
def test_my_experiment_permissions_refuses_bad_ids(server, seeded, ids):
    response = server.call(
        "GET",
        "/api/2.0/trackyard/permissions/experiments",
        ("reader", PASSWORD),
        params={"experiment_ids": ids},
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_my_experiment_permissions_needs_a_signed_in_caller(server, seeded):
    response = server.call(
        "GET",
        "/api/2.0/trackyard/permissions/experiments",
        auth=None,
        params={"experiment_ids": ["1"]},
    )
    assert response.status_code == 401


def test_admin_grants_edit_in_the_access_dialog_and_the_users_client_may_write(
    server, seeded, open_page
):
    writer = stock_client(server, basic=("writer", PASSWORD))
    with pytest.raises(MlflowException, match=r"PERMISSION_DENIED|Permission denied"):
        writer.set_tag(seeded.run_id, "by", "writer")
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}")
    expect(page.get_by_role("button", name=re.compile("^Delete"))).to_be_visible()  # MANAGE
    # The dialog's title takes the name the page has loaded when it opens (the id before).
    expect(page.locator("h1")).to_have_text("shared")
    opener = page.locator("[data-role=access]")
    opener.click()
    dialog = page.get_by_role("dialog", name="Access to experiment shared")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("User")).to_be_focused()
    expect(dialog.locator("tr[data-principal=admin]")).to_contain_text("MANAGE")  # the creator
    dialog.get_by_label("User").fill("writer")
    dialog.get_by_label("Permission").select_option("EDIT")
    dialog.get_by_role("button", name="Grant").click()
    expect(dialog.locator("tr[data-principal=writer]")).to_contain_text("EDIT")
    shot(page, "access-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()

    writer.set_tag(seeded.run_id, "by", "writer")
    assert run_tags(server, seeded.run_id)["by"] == "writer"


def test_access_dialog_on_a_registered_model_grants_its_user(server, seeded, open_page):
    server.ok("POST", "/api/2.0/mlflow/registered-models/create", json={"name": "ranker"})
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/models/ranker")
    page.locator("[data-role=access]").click()
    dialog = page.get_by_role("dialog", name="Access to registered model ranker")
    dialog.get_by_label("User").fill("reader")
    dialog.get_by_label("Permission").select_option("MANAGE")
    dialog.get_by_role("button", name="Grant").click()
    expect(dialog.locator("tr[data-principal=reader]")).to_contain_text("MANAGE")
    query = {"username": "reader", "resource_type": "registered_model", "resource_id": "ranker"}
    answer = server.ok("GET", "/api/3.0/mlflow/users/permissions/get", params=query)
    assert answer["permission"] == "MANAGE"


def test_access_dialog_revokes_a_grant_and_keeps_tab_inside(server, seeded, open_page):
    server.grant("reader", "experiment", seeded.experiment_id, "USE")
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}")
    page.locator("[data-role=access]").click()
    dialog = page.get_by_role("dialog")
    row = dialog.locator("tr[data-principal=reader]")
    expect(row).to_contain_text("USE")
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.querySelector('[role=dialog]').contains(document.activeElement)"
        )
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_have_count(0)
    listing = server.ok(
        "GET",
        "/api/2.0/trackyard/permissions/resource",
        params={"resource_type": "experiment", "resource_id": seeded.experiment_id},
    )
    assert "reader" not in [g["principal_name"] for g in listing["permissions"]]


def test_access_is_not_offered_to_a_user_who_may_not_manage(server, seeded, open_page):
    page = open_page(server.url)
    sign_in(page, "reader")
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}")
    expect(page.locator("[data-role=runs-table] .vt-row").first).to_be_visible()
    expect(page.locator("[data-role=access]")).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("^(Delete|Restore)"))).to_have_count(0)
    assert page.locator("a[href='#/admin/users']").count() == 0


def test_token_made_in_the_ui_works_for_the_stock_client_until_revoked_there(
    server, seeded, open_page
):
    page = open_page(server.url)
    sign_in(page, "tokenuser")
    page.locator("[data-role=current-user]").click()
    expect(page.get_by_role("heading", name="Access tokens")).to_be_visible()
    page.get_by_label("Name").fill("ci runner")
    page.get_by_role("button", name="Create token").click()
    reveal = page.locator("[data-role=new-token]")
    expect(reveal).to_contain_text("it will not be shown again")
    token = reveal.locator("input").input_value()
    assert len(token) > 20
    expect(page.locator("tr[data-token='ci runner']")).to_contain_text("active")

    client = stock_client(server, token=token)
    assert client.get_experiment(seeded.experiment_id).name == "shared"

    page.locator("tr[data-token='ci runner']").get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(page.locator("tr[data-token='ci runner']")).to_contain_text("revoked")
    with pytest.raises(MlflowException, match=r"UNAUTHENTICATED|401|Invalid credentials"):
        client.get_experiment(seeded.experiment_id)
    page.reload()
    expect(page.locator("[data-role=new-token]")).to_have_count(0)  # shown once only
    assert page.errors == []


def test_admin_creates_promotes_and_deletes_users_on_the_users_page(server, seeded, open_page):
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.get_by_role("link", name="Users").click()
    page.get_by_role("button", name="New user").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Username").fill("newcomer")
    dialog.get_by_label(re.compile("Password")).fill("short")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator(".field-error")).to_contain_text("12")
    dialog.get_by_label(re.compile("Password")).fill("newcomer-password-1")
    dialog.get_by_role("button", name="Create").click()
    row = page.locator("tr[data-user=newcomer]")
    expect(row).to_contain_text("user")
    row.get_by_role("button", name="Make admin").click()
    expect(row).to_contain_text("admin")
    assert server.ok("GET", "/api/2.0/mlflow/users/get", params={"username": "newcomer"})["user"][
        "is_admin"
    ]
    row.get_by_role("button", name="Set password").click()
    page.get_by_role("dialog").get_by_label(re.compile("Password")).fill("another-password-2")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert server.call("GET", "/api/2.0/mlflow/users/current", ("newcomer", "another-password-2"))
    row.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert (
        server.call(
            "GET", "/api/2.0/mlflow/users/current", ("newcomer", "another-password-2")
        ).status_code
        == 401
    )


def test_admin_manages_roles_and_their_members_on_the_users_page(server, seeded, open_page):
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/admin/users")
    page.get_by_role("button", name="New role").click()
    page.get_by_role("dialog").get_by_label("Name").fill("analysts")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    row = page.locator("tr[data-role-name=analysts]")
    row.get_by_role("button", name="Add member").click()
    page.get_by_role("dialog").get_by_label("Username").fill("reader")
    page.get_by_role("dialog").get_by_role("button", name="Add").click()
    expect(row.locator("[data-member=reader]")).to_be_visible()
    role_id = next(role["id"] for role in server.ok("GET", "/api/3.0/mlflow/roles/list")["roles"])
    body = {
        "role_id": role_id,
        "resource_type": "experiment",
        "resource_pattern": seeded.experiment_id,
        "permission": "EDIT",
    }
    server.ok("POST", "/api/3.0/mlflow/roles/permissions/add", json=body)
    page.reload()
    expect(row).to_contain_text(f"experiment {seeded.experiment_id}: EDIT")
    shot(page, "roles")
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}")
    page.locator("[data-role=access]").click()
    expect(page.get_by_role("dialog").locator("tr[data-principal=analysts]")).to_contain_text(
        "(role)"
    )
    page.keyboard.press("Escape")
    page.goto(f"{server.url}/#/admin/users")
    row.get_by_role("button", name="Remove reader").click()
    expect(row.locator("[data-member=reader]")).to_have_count(0)
    row.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert server.ok("GET", "/api/3.0/mlflow/roles/list")["roles"] == []


def test_hostile_usernames_render_as_text(server, seeded, open_page):
    server.grant(HOSTILE, "experiment", seeded.experiment_id, "READ")
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/admin/users")
    expect(page.locator("tr[data-user]").filter(has_text=HOSTILE)).to_have_count(1)
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}")
    page.locator("[data-role=access]").click()
    expect(page.get_by_role("dialog")).to_contain_text(HOSTILE)
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.pwned") is None
    assert page.errors == []


def test_the_access_dialog_names_the_experiment_as_text(server, seeded, open_page):
    experiment_id = stock_client(server, basic=ADMIN).create_experiment(HOSTILE)
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/experiments/{experiment_id}")
    expect(page.locator("h1")).to_have_text(HOSTILE)
    page.locator("[data-role=access]").click()
    title = page.get_by_role("dialog").locator("header")
    expect(title).to_have_text(f"Access to experiment {HOSTILE}")
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.pwned") is None


def test_user_changes_their_own_password_and_signs_in_with_the_new_one(server, seeded, open_page):
    server.user("changer")
    page = open_page(server.url)
    sign_in(page, "changer")
    page.locator("[data-role=current-user]").click()
    form = page.locator("[data-role=password-form]")
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label("New password (12 characters or more)").fill("changed-password-34")
    form.get_by_label("New password again").fill("changed-password-34")
    form.get_by_role("button", name="Change password").click()
    expect(page.locator("#toasts")).to_contain_text("Password changed.")
    page.locator("[data-role=sign-out]").click()
    sign_in(page, "changer", PASSWORD, succeeds=False)
    expect(page.locator(".sign-in-form [role=alert]")).to_have_text("Invalid username or password.")
    sign_in(page, "changer", "changed-password-34")
    assert page.errors == []


def test_a_wrong_current_password_changes_nothing(server, seeded, open_page):
    server.user("keeper")
    page = open_page(server.url)
    sign_in(page, "keeper")
    page.goto(f"{server.url}/#/tokens")
    form = page.locator("[data-role=password-form]")
    form.get_by_label("Current password").fill("not-my-password-0")
    form.get_by_label("New password (12 characters or more)").fill("changed-password-56")
    form.get_by_label("New password again").fill("changed-password-56")
    form.get_by_role("button", name="Change password").click()
    expect(form.get_by_role("alert")).to_have_text("Current password is incorrect.")
    user = server.ok("GET", "/api/2.0/mlflow/users/current", ("keeper", PASSWORD))["user"]
    assert user["username"] == "keeper"


def test_differing_new_passwords_are_not_sent(server, seeded, open_page):
    server.user("typist")
    page = open_page(server.url)
    sign_in(page, "typist")
    page.goto(f"{server.url}/#/tokens")
    form = page.locator("[data-role=password-form]")
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label("New password (12 characters or more)").fill("changed-password-78")
    form.get_by_label("New password again").fill("changed-password-79")
    form.get_by_role("button", name="Change password").click()
    expect(form.get_by_role("alert")).to_have_text("The new passwords differ.")
    assert (
        server.call("GET", "/api/2.0/mlflow/users/current", ("typist", PASSWORD)).status_code == 200
    )


def test_with_auth_off_there_is_no_sign_in_chrome(tmp_path, open_page):
    process = start_server(tmp_path, f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        page = open_page(process.url)
        expect(page.locator("[data-role=experiments]")).to_be_visible()
        assert page.locator(".user-menu, .sign-in").count() == 0
        page.goto(f"{process.url}/#/experiments/0")  # every control offered, as before
        expect(page.get_by_role("button", name=re.compile("^Delete"))).to_be_visible()
    finally:
        process.stop()


def test_going_back_closes_the_access_dialog_and_focuses_the_page(server, seeded, open_page):
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}")  # a history entry
    opener = page.locator("[data-role=access]")
    opener.click()
    dialog = page.get_by_role("dialog", name="Access to experiment shared")
    expect(dialog).to_be_visible()
    page.go_back()
    expect(page.locator("[data-role=experiments]")).to_contain_text("shared")
    expect(dialog).to_have_count(0)
    expect(page.locator(".modal-backdrop")).to_have_count(0)
    expect(page.locator("#view")).to_be_focused()
    page.go_forward()
    opener.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
    assert page.errors == []


def test_a_new_address_closes_an_open_form_dialog_and_saves_nothing(server, seeded, open_page):
    page = open_page(server.url)
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}/runs/{seeded.run_id}")
    add_tag = page.get_by_role("button", name="Add tag")
    add_tag.click()
    dialog = page.get_by_role("dialog", name="Add tag")
    dialog.get_by_label("Key").fill("abandoned")
    page.goto(f"{server.url}/#/models")  # typed in the address bar: the hash changes
    expect(page.locator("[data-nav=models]")).to_have_class(re.compile(r"\bactive\b"))
    expect(dialog).to_have_count(0)
    expect(page.locator("#view")).to_be_focused()
    page.go_back()
    add_tag.click()
    expect(dialog.get_by_label("Key")).to_have_value("")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(add_tag).to_be_focused()
    assert "abandoned" not in run_tags(server, seeded.run_id)
    assert page.errors == []


@pytest.fixture(scope="module")
def sweep(server: AuthServer) -> str:
    """An experiment of 60 runs, a metric and a param each: the screenshots' sweep."""
    client = stock_client(server, basic=ADMIN)
    experiment_id = client.create_experiment("sweep <lr>")
    for trial in range(60):
        run_id = client.create_run(experiment_id, run_name=f"trial-{trial}").info.run_id
        metric = Metric("val/loss", 1 / (trial + 1), 0, 0)
        client.log_batch(run_id, metrics=[metric], params=[Param("lr", str(10 ** -(trial % 4)))])
    return experiment_id


@pytest.mark.parametrize("width", [1440, 1024])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshots_of_the_access_pages(server, editable, sweep, open_page, width, theme):
    seeded = editable
    page = open_page(server.url, width, theme)
    expect(page.get_by_role("heading", name="Sign in to trackyard")).to_be_visible()
    shot(page, f"sign-in-{width}-{theme}")
    sign_in(page, *ADMIN)
    expect(page.locator("[data-role=current-user]")).to_be_visible()
    page.goto(f"{server.url}/#/admin/users")
    expect(page.locator("tr[data-user=reader]")).to_be_visible()
    shot(page, f"users-{width}-{theme}")
    page.goto(f"{server.url}/#/tokens")
    page.get_by_label("Name").fill(f"shot {width} {theme}")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("[data-role=new-token]")).to_be_visible()
    shot(page, f"tokens-{width}-{theme}")
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}")
    page.locator("[data-role=access]").click()
    expect(page.get_by_role("dialog").locator("tr[data-principal=admin]")).to_be_visible()
    shot(page, f"access-{width}-{theme}")
    page.keyboard.press("Escape")
    page.goto(f"{server.url}/#/experiments/{sweep}")
    expect(page.locator("[data-role=runs-table] .vt-row").first).to_be_visible()
    page.locator("[data-role=access]").click()
    expect(page.get_by_role("dialog").locator("header")).to_have_text(
        "Access to experiment sweep <lr>"
    )
    shot(page, f"access-sweep-{width}-{theme}")
    page.go_back()  # the dialog goes with the view it was opened on
    expect(page.get_by_role("dialog")).to_have_count(0)
    shot(page, f"access-closed-by-back-{width}-{theme}")
    pages = {
        "model": f"#/models/{MODEL}",
        "version": f"#/models/{MODEL}/versions/1",
        "trace": f"#/experiments/{seeded.experiment_id}/traces/{seeded.trace_id}",
        "run": f"#/experiments/{seeded.experiment_id}/runs/{seeded.run_id}",
    }
    for user in (ADMIN[0], "reader"):
        if user == "reader":
            page.locator("[data-role=sign-out]").click()
            sign_in(page, "reader")
        for name, path in pages.items():
            page.goto(f"{server.url}/{path}")
            expect(page.locator(".page h1")).to_be_visible()
            page.wait_for_load_state("networkidle")
            shot(page, f"{name}-{user}-{width}-{theme}")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violation_on_the_access_pages(server, seeded, open_page, theme):
    require_axe()
    page = open_page(server.url, theme=theme)
    found = {}

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        violations = serious_violations(page)
        if violations:
            found[name] = violations

    expect(page.get_by_role("heading", name="Sign in to trackyard")).to_be_visible()
    check("sign-in")
    sign_in(page, *ADMIN)
    page.goto(f"{server.url}/#/admin/users")
    expect(page.locator("tr[data-user=reader]")).to_be_visible()
    check("users")
    page.goto(f"{server.url}/#/tokens")
    page.get_by_label("Name").fill(f"axe {theme}")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("[data-role=new-token]")).to_be_visible()
    check("tokens")
    page.goto(f"{server.url}/#/experiments/{seeded.experiment_id}")
    page.locator("[data-role=access]").click()
    expect(page.get_by_role("dialog").locator("tr[data-principal=admin]")).to_be_visible()
    check("access-dialog")
    assert not found, found
