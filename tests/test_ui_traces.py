"""The web UI's traces (issue 19): the Traces tab of an experiment and of a run, and the trace
page (span tree on a timeline, span inputs, outputs, exceptions, chat messages, assessments),
driven in Debian's Chromium through Playwright against a live server holding traces the stock
mlflow client recorded (tests/ui_trace_data.py). Screenshots land in test-output/ui-traces/.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from .browser import require_axe, serious_violations, wait_until_decoded
from .servers import ServerProcess, start_server
from .test_ui import UI
from .ui_trace_data import (
    HOSTILE,
    ISSUE_ID,
    ISSUE_NAME,
    PICTURE_SIZE,
    REPORT,
    WIDE_SPANS,
    Traces,
    _last,
    look,
    picture,
    seed_traces,
)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "ui-traces"
MANY = 130
BAD_FILTER = r"console: Failed to load resource: the server responded with a status of 400"


@pytest.fixture(scope="module")
def trace_server(tmp_path_factory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("ui-trace-server")
    process = start_server(data_dir, f"sqlite:///{data_dir / 'trackyard.db'}")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def seeded(trace_server: ServerProcess) -> Traces:
    return seed_traces(trace_server.url)


class TraceUI(UI):
    def shot(self, suffix: str = "") -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = f"{self.name}-{suffix}" if suffix else self.name
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def open_ui(browser, server: ServerProcess, name: str, width: int = 1440, theme: str = "light"):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(f"localStorage.setItem('trackyard.theme', '{theme}')")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return TraceUI(page, server.url, name), context


@pytest.fixture
def ui(browser, trace_server: ServerProcess, request) -> Iterator[TraceUI]:
    ui, context = open_ui(browser, trace_server, request.node.name)
    yield ui
    context.close()


def traces_path(seeded: Traces) -> str:
    return f"#/experiments/{seeded.experiment_id}/traces"


def trace_path(seeded: Traces, label: str) -> str:
    return f"{traces_path(seeded)}/{seeded.ids[label]}"


def rows(ui: UI):
    return ui.page.locator("[data-role=traces-table] tbody tr")


def span_row(ui: UI, name: str):
    return ui.page.locator("[data-role=span-tree] .span-row").filter(
        has=ui.page.locator(".span-name", has_text=re.compile(f"^{re.escape(name)}$"))
    )


# ---------------------------------------------------------------- the traces table


def test_the_experiment_traces_tab_lists_every_trace_newest_first(ui, seeded):
    ui.goto(f"#/experiments/{seeded.experiment_id}")
    ui.page.locator(".tabs a", has_text="Traces").click()
    expect(rows(ui)).to_have_count(len(seeded.ids))
    ids = [row.get_attribute("data-trace-id") for row in rows(ui).all()]
    assert ids == list(reversed(seeded.ids.values()))
    chat = rows(ui).filter(has_text="ask")
    expect(chat).to_contain_text("What is the capital of France?")
    expect(chat).to_contain_text("team: geo")
    expect(chat).to_contain_text("correct: true")
    ui.shot()
    ui.assert_clean()


def test_at_1024_px_every_column_fits_without_scrolling_sideways(browser, trace_server, seeded):
    ui, context = open_ui(browser, trace_server, "narrow-table", width=1024)
    try:
        ui.goto(traces_path(seeded))
        expect(rows(ui)).to_have_count(len(seeded.ids))
        table = ui.page.locator("[data-role=traces-table]")
        overflow = table.evaluate("t => t.parentElement.scrollWidth - t.parentElement.clientWidth")
        assert overflow <= 0
        chip = rows(ui).filter(has_text="ask").locator(".badge", has_text="expected_answer")
        assert chip.get_attribute("title") == "expected_answer: Paris"  # whole on hover
        ui.assert_clean()
    finally:
        context.close()


def test_a_preview_tells_an_attachment_by_its_type(ui, seeded):
    ui.goto(traces_path(seeded))
    look = rows(ui).filter(has=ui.page.get_by_role("link", name="look", exact=True))
    expect(look.locator(".preview").first).to_have_text('{"url": "[image/png]"}')
    ui.assert_clean()


def test_the_status_filter_shows_only_failed_traces(ui, seeded):
    ui.goto(traces_path(seeded))
    expect(rows(ui)).to_have_count(len(seeded.ids))
    ui.page.locator("[data-role=trace-status]").select_option("ERROR")
    expect(rows(ui)).to_have_count(1)
    expect(rows(ui).first).to_have_attribute("data-trace-id", seeded.ids["error"])
    expect(rows(ui).first).to_contain_text("Error")
    assert "status=ERROR" in ui.page.url
    ui.assert_clean()


def test_a_filter_in_mlflow_grammar_narrows_the_table_and_a_bad_one_says_why(ui, seeded):
    ui.goto(traces_path(seeded))
    search = ui.page.locator("[data-role=trace-filter]")
    search.fill("tags.team = 'geo'")
    search.press("Enter")
    expect(rows(ui)).to_have_count(1)
    expect(rows(ui).first).to_have_attribute("data-trace-id", seeded.ids["chat"])
    search.fill("tags.team ==== nonsense")
    search.press("Enter")
    expect(ui.page.locator(".field-error")).to_be_visible()
    expect(rows(ui)).to_have_count(1)  # the last good result stays
    ui.assert_clean(allowed=(BAD_FILTER,))


def test_a_slow_answer_to_an_older_filter_never_replaces_a_newer_one(ui, seeded):
    ui.goto(traces_path(seeded))
    expect(rows(ui)).to_have_count(len(seeded.ids))
    held = []

    def hold_the_tag_filter(route):
        if "tags.team" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    ui.page.route("**/traces/search", hold_the_tag_filter)
    search = ui.page.locator("[data-role=trace-filter]")
    search.fill("tags.team = 'geo'")
    search.press("Enter")
    search.fill("trace.status = 'ERROR'")
    search.press("Enter")
    expect(rows(ui)).to_have_count(1)
    expect(rows(ui).first).to_have_attribute("data-trace-id", seeded.ids["error"])
    assert len(held) == 1
    with contextlib.suppress(sync_api.Error):  # the page gave up on it: nothing to answer
        held[0].continue_()
    ui.page.wait_for_timeout(500)
    expect(rows(ui)).to_have_count(1)
    expect(rows(ui).first).to_have_attribute("data-trace-id", seeded.ids["error"])
    ui.assert_clean()


def test_sorting_by_duration_puts_the_longest_trace_first(ui, seeded):
    ui.goto(traces_path(seeded))
    expect(rows(ui)).to_have_count(len(seeded.ids))
    ui.page.locator("[data-sort=duration]").click()
    expect(rows(ui).first).to_have_attribute("data-trace-id", seeded.ids["wide"])
    expect(ui.page.locator("th[aria-sort=descending] [data-sort=duration]")).to_be_visible()
    assert "sort=duration" in ui.page.url
    ui.assert_clean()


@pytest.fixture(scope="module")
def many_traces(trace_server: ServerProcess) -> str:
    """An experiment of 130 one-span traces sent by the OpenTelemetry SDK's OTLP exporter."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    experiment_id = MlflowClient(trace_server.url).create_experiment("many-traces")
    exporter = OTLPSpanExporter(
        endpoint=f"{trace_server.url}/v1/traces",
        headers={"x-mlflow-experiment-id": experiment_id},
    )
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    for i in range(MANY):
        with tracer.start_as_current_span(f"request-{i:03d}"):
            pass
    provider.shutdown()
    return experiment_id


def test_load_more_follows_the_page_token_to_the_last_page(ui, many_traces):
    ui.goto(f"#/experiments/{many_traces}/traces")
    expect(rows(ui)).to_have_count(100)
    expect(ui.page.locator("[data-role=traces-footer]")).to_contain_text("100 traces shown")
    ui.page.locator("[data-role=more-traces]").click()
    expect(rows(ui)).to_have_count(MANY)
    expect(ui.page.locator("[data-role=more-traces]")).to_have_count(0)
    names = rows(ui).locator(".trace-name a").all_inner_texts()
    assert sorted(names) == [f"request-{i:03d}" for i in range(MANY)]  # each once
    ui.assert_clean()


def test_a_runs_traces_tab_shows_the_traces_made_in_the_run(ui, seeded):
    ui.goto(f"#/experiments/{seeded.experiment_id}/runs/{seeded.run_id}")
    ui.page.locator(".tabs a", has_text="Traces").click()
    expect(rows(ui)).to_have_count(1)
    expect(rows(ui).first).to_have_attribute("data-trace-id", seeded.ids["in-run"])
    ui.assert_clean()


# ---------------------------------------------------------------- the trace page


def test_the_trace_page_shows_the_span_tree_and_a_spans_inputs_and_outputs(ui, seeded):
    ui.goto(traces_path(seeded))
    rows(ui).filter(has_text="ask").get_by_role("link").click()
    expect(ui.page.locator("[data-role=trace-name]")).to_have_text("ask")
    tree = ui.page.locator("[data-role=span-tree] .span-row")
    expect(tree).to_have_count(3)
    expect(span_row(ui, "retrieve")).to_have_attribute("aria-level", "2")
    span_row(ui, "retrieve").click()
    expect(ui.page.locator("[data-role=span-name]")).to_have_text("retrieve")
    inputs = ui.page.locator("[data-role=span-inputs]")
    expect(inputs).to_contain_text("What is the capital of France?")
    outputs = ui.page.locator("[data-role=span-outputs]")
    expect(outputs).to_contain_text("Paris is the capital of France.")
    expect(ui.page.locator("[data-role=span-attributes]")).to_contain_text("wiki")
    assert "span=" in ui.page.url
    ui.assert_clean()


def test_a_failed_span_shows_its_exception(ui, seeded):
    ui.goto(trace_path(seeded, "error"))
    exception = ui.page.locator("[data-role=span-exception]")
    expect(exception).to_contain_text("ZeroDivisionError")
    expect(exception).to_contain_text("division by zero")
    exception.locator("summary").click()
    expect(exception.locator("pre.stacktrace")).to_contain_text("Traceback")
    expect(span_row(ui, "divide")).to_have_class(re.compile(r"\berror\b"))
    ui.assert_clean()


def test_chat_messages_render_as_a_conversation(ui, seeded):
    ui.goto(trace_path(seeded, "chat"))
    span_row(ui, "chat").click()
    inputs = ui.page.locator("[data-role=span-inputs] .chat-message")
    expect(inputs).to_have_count(2)
    expect(inputs.nth(0)).to_have_attribute("data-role", "system")
    expect(inputs.nth(1)).to_contain_text("What is the capital of France?")
    outputs = ui.page.locator("[data-role=span-outputs] .chat-message")
    expect(outputs).to_have_attribute("data-role", "assistant")
    expect(outputs).to_contain_text("The capital of France is Paris.")
    ui.page.locator("[data-role=span-inputs] button", has_text="Show JSON").click()
    expect(ui.page.locator("[data-role=span-inputs] .json-view")).to_contain_text("gpt-test")
    ui.assert_clean()


def test_a_vision_chats_image_shows_in_the_conversation(ui, seeded):
    """The client took the data: URL out into an attachment; the page shows the picture."""
    ui.goto(trace_path(seeded, "vision"))
    span_row(ui, "vision").click()
    user = ui.page.locator("[data-role=span-inputs] .chat-message")
    expect(user).to_contain_text("What is in this picture?")
    image = user.locator("[data-role=attachment] img")
    expect(image).to_be_visible()
    wait_until_decoded(image)
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == list(PICTURE_SIZE)
    expect(user.locator("[data-role=attachment]")).to_contain_text("image/png")
    ui.assert_clean()


def test_a_data_url_among_a_functions_arguments_shows_as_its_picture(ui, seeded):
    ui.goto(trace_path(seeded, "vision"))
    expect(ui.page.locator("[data-role=span-name]")).to_have_text("look")  # the root
    image = ui.page.locator("[data-role=span-inputs] [data-role=attachment] img")
    expect(image).to_be_visible()
    wait_until_decoded(image)
    ui.assert_clean()


def test_attachments_given_to_a_span_play_and_download(ui, seeded):
    ui.goto(trace_path(seeded, "vision"))
    span_row(ui, "file").click()
    attachments = ui.page.locator("[data-role=span-inputs] [data-role=attachment]")
    expect(attachments).to_have_count(2)
    audio = attachments.locator("audio")
    expect(audio).to_have_attribute("preload", "none")  # nothing fetched until played
    audio.evaluate("player => { player.preload = 'metadata'; player.load(); }")
    ui.page.wait_for_function("player => player.readyState >= 1", arg=audio.element_handle())
    assert audio.evaluate("player => player.duration") == pytest.approx(0.2, abs=0.01)
    report = attachments.filter(has_text="application/pdf").get_by_role("link", name="Download")
    assert (report.get_attribute("download") or "").endswith(".pdf")
    with ui.page.expect_download() as download:
        report.click()
    assert Path(download.value.path()).read_bytes() == REPORT
    ui.assert_clean()


def test_an_attachment_whose_file_is_gone_says_so(ui, trace_server):
    """An upload that failed (the client only warns) leaves a reference to nothing."""
    mlflow.set_tracking_uri(trace_server.url)
    experiment_id = MlflowClient(trace_server.url).create_experiment("attachment-gone")
    mlflow.set_experiment(experiment_id=experiment_id)
    look("data:image/png;base64," + base64.b64encode(picture()).decode())
    trace_id = _last()
    for uploaded in (trace_server.data_dir / "artifacts").rglob(f"{trace_id}/**/attachments/*"):
        uploaded.unlink()
    ui.goto(f"#/experiments/{experiment_id}/traces/{trace_id}")
    attachment = ui.page.locator("[data-role=span-inputs] [data-role=attachment]")
    expect(attachment.locator("[data-role=attachment-error]")).to_have_text(
        "The file could not be loaded."
    )
    expect(attachment).to_contain_text("image/png")  # still named, still downloadable
    ui.assert_clean(allowed=(r"Failed to load resource: .* 404",))


def test_a_long_value_is_cut_until_asked_for(ui, seeded):
    ui.goto(trace_path(seeded, "chat"))
    outputs = ui.page.locator("[data-role=span-outputs]")
    more = outputs.get_by_role("button", name=re.compile(r"Show all 20,002 characters"))
    expect(more).to_be_visible()
    assert len(outputs.inner_text()) < 5_000
    more.click()
    assert len(outputs.inner_text()) > 20_000
    ui.assert_clean()


def test_a_500_span_trace_draws_only_the_rows_in_view_and_is_keyboard_operable(ui, seeded):
    ui.goto(trace_path(seeded, "wide"))
    expect(ui.page.locator("[data-role=trace-name]")).to_have_text("wide")
    expect(ui.page.get_by_text(f"{WIDE_SPANS} spans")).to_be_visible()
    tree = ui.page.locator("[data-role=span-tree]")
    drawn = tree.locator(".span-row").count()
    assert 0 < drawn < 100, drawn
    tree.focus()
    tree.press("End")
    expect(ui.page.locator("[data-role=span-name]")).to_have_text(re.compile(r"^step-\d+-\d+$"))
    last = ui.page.locator("[data-role=span-name]").inner_text()
    expect(tree.locator(".span-row.active")).to_have_attribute("data-span-name", last)
    tree.press("ArrowLeft")  # a leaf: to its parent group
    expect(ui.page.locator("[data-role=span-name]")).to_have_text(re.compile(r"^group-\d+$"))
    tree.press("Home")
    expect(ui.page.locator("[data-role=span-name]")).to_have_text("wide")
    tree.press("ArrowLeft")  # the open root closes
    expect(tree.locator(".span-row")).to_have_count(1)
    expect(tree.locator(".span-row")).to_have_attribute("aria-expanded", "false")
    tree.press("ArrowRight")
    tree.press("ArrowRight")  # into the first child
    expect(ui.page.locator("[data-role=span-name]")).to_have_text("group-0")
    tree.press("Enter")
    active = tree.get_attribute("aria-activedescendant")
    assert active and tree.locator(f"#{active}").get_attribute("aria-selected") == "true"
    ui.shot("keyboard")
    ui.assert_clean()


def test_hostile_span_names_and_attributes_render_as_text(ui, seeded):
    ui.goto(traces_path(seeded))
    expect(rows(ui)).to_have_count(len(seeded.ids))
    expect(rows(ui).filter(has_text=HOSTILE)).to_have_count(1)
    ui.goto(trace_path(seeded, "hostile"))
    expect(ui.page.locator("[data-role=trace-name]")).to_have_text(HOSTILE)
    span_row(ui, HOSTILE).nth(1).click()  # the child span, which holds the attribute
    expect(ui.page.locator("[data-role=span-name]")).to_have_text(HOSTILE)
    expect(ui.page.locator("[data-role=span-attributes]")).to_contain_text(HOSTILE)
    assert ui.page.locator("#view img, #view b").count() == 0
    assert ui.page.evaluate("window.__pwned") is None
    ui.assert_clean()


# ---------------------------------------------------------------- assessments


def test_feedback_logged_by_the_client_shows_on_the_trace(ui, seeded):
    ui.goto(trace_path(seeded, "chat"))
    row = ui.page.locator("[data-role=assessments] tr[data-assessment=correct]")
    expect(row).to_contain_text("true")
    expect(row).to_contain_text("Matches the reference.")
    expect(row).to_contain_text("reviewer@example.com")
    ui.assert_clean()


def test_an_issue_shows_as_an_issue_with_its_name_as_text_and_is_not_edited(ui, seeded):
    ui.goto(trace_path(seeded, "chat"))
    box = ui.page.locator("[data-role=assessments]")
    issue = box.locator("tr[data-kind=issue]")
    expect(issue).to_have_attribute("data-assessment", ISSUE_ID)
    expect(issue.locator(".badge")).to_have_text("issue")
    expect(issue.locator("td").first).to_contain_text(ISSUE_NAME)  # the markup, as text
    expect(issue.locator("[data-role=issue]")).to_contain_text(f"Issue ID{ISSUE_ID}")
    run = issue.locator("[data-role=issue] a")  # the run that found it, cut, whole in its title
    expect(run).to_have_attribute("title", seeded.run_id)
    expect(run).to_have_text(f"{seeded.run_id[:11]}…")
    expect(run).to_have_attribute("href", re.compile(f"/runs/{seeded.run_id}$"))
    expect(issue).to_contain_text("The answer names no source.")
    expect(issue).to_contain_text("LLM_JUDGE · issue-scan")
    expect(issue.get_by_role("button", name="Delete")).to_be_visible()
    expect(issue.get_by_role("button", name="Edit")).to_have_count(0)
    expectation = box.locator("tr[data-kind=expectation]")
    expect(expectation).to_contain_text('"Paris"')
    expect(expectation.get_by_role("button", name="Edit")).to_be_visible()
    assert box.locator("b").count() == 0
    ui.assert_clean()


def _assessments(server: ServerProcess, trace_id: str) -> dict[str, object]:
    info = MlflowClient(server.url).get_trace(trace_id).info
    return {a.name: a for a in info.assessments}


def _fill_dialog(ui: UI, **values: str) -> None:
    modal = ui.page.locator(".modal")
    for name, value in values.items():
        modal.locator(f"[name={name}]").fill(value)
    modal.locator("button[type=submit]").click()
    expect(modal).to_have_count(0)


def test_feedback_added_edited_and_deleted_in_the_ui_is_what_the_client_reads(
    ui, seeded, trace_server
):
    trace_id = seeded.ids["in-run"]
    ui.goto(trace_path(seeded, "in-run"))
    ui.page.locator("[data-role=add-feedback]").click()
    _fill_dialog(ui, name="helpful", value="0.75", rationale="Mostly right.")
    row = ui.page.locator("[data-role=assessments] tr[data-assessment=helpful]")
    expect(row).to_contain_text("0.75")
    feedback = _assessments(trace_server, trace_id)["helpful"]
    assert (feedback.value, feedback.rationale) == (0.75, "Mostly right.")
    assert feedback.source.source_type == "HUMAN"

    row.get_by_role("button", name="Edit").click()
    _fill_dialog(ui, value='{"score": 1}', rationale="Right after all.")
    expect(row).to_contain_text("score")
    feedback = _assessments(trace_server, trace_id)["helpful"]
    assert (feedback.value, feedback.rationale) == ({"score": 1}, "Right after all.")

    row.get_by_role("button", name="Delete").click()
    ui.page.locator(".modal button[type=submit]").click()
    expect(row).to_have_count(0)
    assert "helpful" not in _assessments(trace_server, trace_id)
    ui.assert_clean()


def test_an_expectation_added_in_the_ui_is_what_the_client_reads(ui, seeded, trace_server):
    trace_id = seeded.ids["wide"]
    ui.goto(trace_path(seeded, "wide"))
    ui.page.locator("[data-role=add-expectation]").click()
    _fill_dialog(ui, name="expected_steps", value="500")
    row = ui.page.locator("[data-role=assessments] tr[data-assessment=expected_steps]")
    expect(row).to_be_visible()
    assert _assessments(trace_server, trace_id)["expected_steps"].value == 500
    ui.assert_clean()


def test_a_trace_tag_set_in_the_ui_is_what_the_client_reads(ui, seeded, trace_server):
    trace_id = seeded.ids["error"]
    ui.goto(trace_path(seeded, "error"))
    ui.page.get_by_role("button", name="Add tag").click()
    _fill_dialog(ui, key="triage", value="div-by-zero")
    expect(ui.page.locator("tr[data-tag=triage]")).to_contain_text("div-by-zero")
    assert MlflowClient(trace_server.url).get_trace(trace_id).info.tags["triage"] == "div-by-zero"
    ui.assert_clean()


# ---------------------------------------------------------------- looks


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [1440, 1024])
def test_screenshots_of_the_traces_table_and_trace_page(
    browser, trace_server, seeded, width, theme
):
    ui, context = open_ui(browser, trace_server, f"traces-{width}-{theme}", width, theme)
    try:
        ui.goto(traces_path(seeded))
        expect(rows(ui)).to_have_count(len(seeded.ids))
        ui.shot("table")
        ui.goto(trace_path(seeded, "chat"))
        span_row(ui, "chat").click()
        expect(ui.page.locator("[data-role=span-outputs] .chat-message")).to_be_visible()
        ui.shot("chat")
        # the assessments (a feedback, an expectation, an issue) lie below the fold at 1024
        assessments = ui.page.locator("[data-role=assessments]")
        expect(assessments.locator("tr[data-kind=issue]")).to_be_visible()
        assessments.screenshot(path=str(SCREENSHOTS / f"{ui.name}-assessments.png"))
        ui.goto(trace_path(seeded, "vision"))
        span_row(ui, "vision").click()
        expect(ui.page.locator("[data-role=attachment] img")).to_be_visible()
        ui.shot("vision")
        span_row(ui, "file").click()
        expect(ui.page.locator("[data-role=attachment] audio")).to_be_visible()
        ui.shot("attachments")
        ui.goto(trace_path(seeded, "error"))
        expect(ui.page.locator("[data-role=span-exception]")).to_be_visible()
        ui.shot("error")
        ui.goto(trace_path(seeded, "wide"))
        expect(ui.page.locator("[data-role=span-tree] .span-row").first).to_be_visible()
        ui.shot("wide")
        ui.assert_clean()
    finally:
        context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violation_on_the_trace_pages(browser, trace_server, seeded, theme):
    require_axe()
    ui, context = open_ui(browser, trace_server, f"axe-{theme}", theme=theme)
    pages = {
        "table": traces_path(seeded),
        "run-table": f"#/experiments/{seeded.experiment_id}/runs/{seeded.run_id}/traces",
        **{
            label: trace_path(seeded, label)
            for label in ("chat", "vision", "error", "wide", "hostile")
        },
    }
    found = {}
    try:
        for name, path in pages.items():
            ui.goto(path)
            ui.page.wait_for_load_state("networkidle")
            ui.page.wait_for_timeout(200)
            violations = serious_violations(ui.page)
            if violations:
                found[name] = violations
        assert not found, found
        ui.assert_clean()
    finally:
        context.close()
