"""Links and images built from user data can only lead to the web (issue 24, item 3).

Browsers strip leading C0 controls and spaces from a URL and drop tabs and newlines in it,
so "\\u0001javascript:..." is a script link to a browser while a text check sees a relative
one. These tests ask the real Chromium: the UI's own modules are imported into a page of a
live server, and the rendered pages are read through `a.href`, the URL as the browser
resolved it, never the attribute text.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from mlflow import MlflowClient
from mlflow.entities import RunTag

from .servers import ServerProcess, start_server
from .test_ui import UI, sync_api

expect = sync_api.expect

SCRIPT = "alert(document.domain)"
# Each must come out as no link at all, or a link the browser resolves to the web.
HOSTILE = {
    "plain": f"javascript:{SCRIPT}",
    "mixed-case": f"JaVaScRiPt:{SCRIPT}",
    "leading-soh": f"\u0001javascript:{SCRIPT}",
    "leading-nul": f"\u0000javascript:{SCRIPT}",
    "leading-us": f"\u001fjavascript:{SCRIPT}",
    "leading-space-tab": f" \t javascript:{SCRIPT}",
    "trailing-control": f"javascript:{SCRIPT}\u0001",
    "tab-in-scheme": f"java\tscript:{SCRIPT}",
    "newline-in-scheme": f"java\nscript:{SCRIPT}",
    "return-in-scheme": f"java\rscript:{SCRIPT}",
    "tab-before-colon": f"javascript\t:{SCRIPT}",
    "decimal-entity": f"&#106;avascript:{SCRIPT}",
    "hex-entity": f"&#x6A;avascript:{SCRIPT}",
    "vbscript": "vbscript:msgbox(1)",
    "vbscript-upper": "VBScript:msgbox(1)",
    "data-html": "data:text/html,<script>alert(1)</script>",
    "data-html-base64": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data-html-leading-soh": "\u0001data:text/html,x",
    "data-svg-as-link": "data:image/svg+xml,<svg/onload=alert(1)>",
    "file": "file:///etc/passwd",
    "unparsable": "http://[::1",
}
# These stay links: the web, mail, in-page and relative targets, protocol-relative hosts.
WEB = {
    "https": "https://example.com/docs",
    "http": "http://example.com/",
    "mailto": "mailto:someone@example.com",
    "fragment": "#section",
    "absolute-path": "/static/favicon.svg",
    "relative": "notes.md",
    "protocol-relative": "//evil.example/x",
    "backslashes": "\\\\evil.example",
    "slash-backslash": "/\\evil.example",
}
LINK_PROTOCOLS = {"http", "https", "mailto"}
IMAGE_DATA = ("data:image/png", "data:image/jpeg", "data:image/svg+xml")

# In the page: the UI's dom.js, and what the browser makes of an <a>/<img> built with h().
PROBE = """async ([url, image]) => {
  const { h, safeUrl } = await import("/static/js/dom.js");
  const el = image ? h("img", { src: url }) : h("a", { href: url });
  return { safe: safeUrl(url, { image }), resolved: image ? el.src : el.href };
}"""
# Every link and image in the page, as the browser resolved them.
RESOLVED = """() => ({
  links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  images: [...document.querySelectorAll("img[src]")].map((img) => img.src),
})"""


def scheme(url: str) -> str:
    return urlsplit(url).scheme.lower()


def assert_only_web(resolved: dict[str, list[str]]) -> None:
    bad_links = [u for u in resolved["links"] if scheme(u) not in LINK_PROTOCOLS]
    bad_images = [
        u
        for u in resolved["images"]
        if scheme(u) not in {"http", "https"} and not u.lower().startswith(IMAGE_DATA)
    ]
    assert not bad_links and not bad_images, (bad_links, bad_images)


def description(*urls: str) -> str:
    hostile = " ".join(f"[bad {i}]({url})" for i, url in enumerate(urls))
    return (
        "Read [the docs](https://example.com/docs) or write to "
        "[us](mailto:someone@example.com).\n\n"
        f"Not links: {hostile}\n\n"
        f"![bad image]({urls[0]})"
    )


# The hostile links that survive as one Markdown link token (no spaces, `>` or `)` inside).
IN_MARKDOWN = [
    HOSTILE[k]
    for k in (
        "plain",
        "mixed-case",
        "leading-soh",
        "leading-us",
        "trailing-control",
        "vbscript",
        "data-html-base64",
        "data-html-leading-soh",
    )
]


@dataclass
class LinkData:
    experiment_id: str
    run_id: str
    model_name: str


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("ui-links")
    process = start_server(data_dir, f"sqlite:///{data_dir / 'trackyard.db'}")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def data(server: ServerProcess) -> LinkData:
    client = MlflowClient(server.url)
    experiment_id = client.create_experiment(f"links-{uuid.uuid4().hex[:6]}")
    run = client.create_run(experiment_id, run_name="hostile-links")
    run_id = run.info.run_id
    text = description(*IN_MARKDOWN)
    client.log_batch(run_id, tags=[RunTag("mlflow.note.content", text)])
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": [text]}],
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "notes.md").write_text(text)
        (folder / "links.ipynb").write_text(json.dumps(notebook))
        for file in folder.iterdir():
            client.log_artifact(run_id, str(file))
    client.set_terminated(run_id)
    model_name = f"links-model-{uuid.uuid4().hex[:6]}"
    client.create_registered_model(model_name, description=text)
    client.create_model_version(
        model_name,
        f"runs:/{run_id}/model",
        run_id=run_id,
        run_link=HOSTILE["leading-soh"],
        description=text,
    )
    return LinkData(experiment_id, run_id, model_name)


@pytest.fixture
def ui(browser, server: ServerProcess, request) -> Iterator[UI]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield UI(page, server.url, request.node.name)
    assert not dialogs, f"script ran: {dialogs}"
    context.close()


@pytest.fixture
def app(ui: UI):
    """The page, with the app loaded: its modules import from /static/js/."""
    ui.goto("#/experiments")
    expect(ui.page.locator("#view > *").first).to_be_attached()
    return ui.page


@pytest.fixture
def probe(app):
    return lambda url, image=False: app.evaluate(PROBE, [url, image])


# ---------------------------------------------------------------- the URL check itself


@pytest.mark.parametrize("url", HOSTILE.values(), ids=HOSTILE.keys())
def test_safe_url_refuses_links_that_leave_the_web(probe, url: str) -> None:
    result = probe(url)
    if result["safe"] is not None:  # only entity forms: they are relative paths, not script
        assert scheme(result["resolved"]) in {"http", "https"}, result
    else:
        assert result["resolved"] == "", result


@pytest.mark.parametrize("url", WEB.values(), ids=WEB.keys())
def test_safe_url_keeps_web_links(probe, url: str) -> None:
    result = probe(url)
    assert result["safe"] == url
    assert scheme(result["resolved"]) in LINK_PROTOCOLS


@pytest.mark.parametrize("url", HOSTILE.values(), ids=HOSTILE.keys())
def test_img_src_refuses_script_and_html(probe, url: str) -> None:
    result = probe(url, True)
    if result["resolved"]:
        assert_only_web({"links": [], "images": [result["resolved"]]})


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,iVBORw0KGgo=",
        "data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E",
        "https://example.com/a.png",
    ],
    ids=["png", "svg", "https"],
)
def test_img_src_keeps_web_and_data_images(probe, url: str) -> None:
    assert probe(url, True)["safe"] == url


def test_h_drops_string_event_handlers(app) -> None:
    assert not app.evaluate("""async () => {
      const { h } = await import("/static/js/dom.js");
      return h("div", { onclick: "alert(1)" }).hasAttribute("onclick");
    }""")


def test_h_sandboxes_every_srcdoc_iframe(app) -> None:
    sandbox = app.evaluate("""async () => {
      const { h } = await import("/static/js/dom.js");
      const frame = h("iframe", { srcdoc: "<script>alert(1)</script>", sandbox: "allow-scripts" });
      return frame.getAttribute("sandbox");
    }""")
    assert sandbox == ""


# ---------------------------------------------------------------- the Markdown renderer


@pytest.mark.parametrize("url", IN_MARKDOWN, ids=range(len(IN_MARKDOWN)))
def test_markdown_link_to_script_renders_as_text(app, url: str) -> None:
    result = app.evaluate(
        """async (url) => {
          const { renderMarkdown } = await import("/static/js/markdown.js");
          const md = renderMarkdown(`[click](${url}) ![pic](${url})`);
          return {
            links: [...md.querySelectorAll("a[href]")].map((a) => a.href),
            images: [...md.querySelectorAll("img[src]")].map((img) => img.src),
            text: md.textContent,
          };
        }""",
        url,
    )
    assert_only_web(result)
    assert "click" in result["text"]


def test_markdown_protocol_relative_link_opens_as_external(app) -> None:
    attrs = app.evaluate("""async () => {
      const { renderMarkdown } = await import("/static/js/markdown.js");
      const a = renderMarkdown("[x](//evil.example/x)").querySelector("a");
      return [a.href, a.target, a.rel];
    }""")
    assert attrs == ["http://evil.example/x", "_blank", "noopener noreferrer"]


# ---------------------------------------------------------------- pages with hostile links


def open_run(ui: UI, data: LinkData, query: str = "") -> None:
    ui.goto(f"#/experiments/{data.experiment_id}/runs/{data.run_id}{query}")


def test_run_description_hostile_links_render_as_text(ui: UI, data: LinkData) -> None:
    open_run(ui, data)
    markdown = ui.page.locator(".markdown")
    expect(markdown).to_contain_text("bad 0")
    assert_only_web(ui.page.evaluate(RESOLVED))
    assert markdown.locator("a", has_text="bad").count() == 0
    ui.assert_clean()


def test_run_description_safe_link_stays_a_link(ui: UI, data: LinkData) -> None:
    open_run(ui, data)
    docs = ui.page.locator(".markdown a", has_text="the docs")
    expect(docs).to_have_attribute("href", "https://example.com/docs")
    expect(docs).to_have_attribute("target", "_blank")
    expect(ui.page.locator(".markdown a[href^='mailto:']")).to_have_text("us")
    ui.assert_clean()


def test_model_description_hostile_links_render_as_text(ui: UI, data: LinkData) -> None:
    ui.goto(f"#/models/{data.model_name}")
    expect(ui.page.locator(".markdown").first).to_contain_text("bad 0")
    assert_only_web(ui.page.evaluate(RESOLVED))
    expect(ui.page.locator(".markdown a", has_text="the docs")).to_have_count(1)
    ui.assert_clean()


def test_model_version_run_link_to_script_renders_as_text(ui: UI, data: LinkData) -> None:
    ui.goto(f"#/models/{data.model_name}/versions/1")
    expect(ui.page.locator("body")).to_contain_text("javascript:alert(document.domain)")
    assert_only_web(ui.page.evaluate(RESOLVED))
    ui.assert_clean()


def test_notebook_markdown_cell_hostile_links_render_as_text(ui: UI, data: LinkData) -> None:
    open_run(ui, data, "?tab=artifacts&path=links.ipynb")
    notebook = ui.page.locator("[data-role=notebook]")
    expect(notebook).to_contain_text("bad 0")
    assert_only_web(ui.page.evaluate(RESOLVED))
    expect(notebook.locator("a", has_text="the docs")).to_have_count(1)
    ui.assert_clean()


def test_md_artifact_preview_hostile_links_render_as_text(ui: UI, data: LinkData) -> None:
    open_run(ui, data, "?tab=artifacts&path=notes.md")
    preview = ui.page.locator("[data-preview=markdown] .markdown")
    expect(preview).to_contain_text("bad 0")
    assert_only_web(ui.page.evaluate(RESOLVED))
    expect(preview.locator("a", has_text="the docs")).to_have_count(1)
    ui.assert_clean()
