"""What a browser on another site, or behind a rebound DNS name, can do with the server.

The attacks are made as a browser makes them: raw HTTP with the headers a browser sends, and
a real page in headless Chromium on another loopback origin.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from .helpers import API, assert_error, unique
from .servers import ServerProcess, free_port, start_server


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> Iterator[ServerProcess]:
    """A server on its defaults: no extra host names, no allowed origins."""
    data_dir = tmp_path_factory.mktemp("guarded")
    process = start_server(data_dir, f"sqlite:///{data_dir / 'trackyard.db'}")
    yield process
    process.stop()


@pytest.fixture
def http(guarded: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=guarded.url, timeout=30) as session:
        yield session


def experiment_exists(http: httpx.Client, name: str) -> bool:
    response = http.get(f"{API}/experiments/get-by-name", params={"experiment_name": name})
    return response.status_code == 200


# ---------------------------------------------------------------- Host (DNS rebinding)
def test_a_foreign_host_name_is_refused_for_reads(http):
    response = http.get(f"{API}/experiments/search", headers={"Host": "evil.example"})
    assert_error(response, "PERMISSION_DENIED", 403)


def test_a_foreign_host_name_is_refused_for_writes_and_nothing_is_stored(http):
    name = unique("rebound")
    response = http.post(
        f"{API}/experiments/create", json={"name": name}, headers={"Host": "evil.example:5000"}
    )
    assert_error(response, "PERMISSION_DENIED", 403)
    assert not experiment_exists(http, name)


def test_a_foreign_host_name_is_refused_for_the_ui_and_artifacts(http):
    for path in ("/", "/static/js/app.js", "/api/2.0/mlflow-artifacts/artifacts/x.txt"):
        assert http.get(path, headers={"Host": "evil.example"}).status_code == 403, path


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:5000", "LOCALHOST.", "app.localhost", "127.0.0.1:80",
             "[::1]:5000", "10.1.2.3", "192.168.0.7:5000", "[fd00::1]"],
)  # fmt: skip
def test_loopback_names_and_ip_addresses_are_served(http, host):
    response = http.get(
        f"{API}/experiments/search", params={"max_results": 1}, headers={"Host": host}
    )
    assert response.status_code == 200, response.text


def test_health_and_version_answer_any_host(http):
    for path in ("/health", "/version"):
        assert http.get(path, headers={"Host": "trackyard-service"}).status_code == 200


def test_allowed_host_names_are_served_and_others_still_refused(tmp_path):
    uri = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with_names = ("--allowed-hosts", "mlflow.example.com,*.corp.example")
    server = start_server(tmp_path, uri, *with_names)
    try:
        with httpx.Client(base_url=server.url) as http:
            path = f"{API}/experiments/search?max_results=1"
            for host in ("mlflow.example.com", "team.corp.example:443", "localhost"):
                assert http.get(path, headers={"Host": host}).status_code == 200, host
            assert http.get(path, headers={"Host": "corp.example.evil"}).status_code == 403
    finally:
        server.stop()


def test_allowed_hosts_star_serves_any_name(tmp_path):
    server = start_server(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "--allowed-hosts", "*")
    try:
        response = httpx.get(f"{server.url}{API}/experiments/search", headers={"Host": "x.test"})
        assert response.status_code == 200
    finally:
        server.stop()


# ---------------------------------------------------------------- cross-origin writes
def test_a_cross_origin_write_is_refused_and_nothing_is_stored(http):
    name = unique("csrf")
    response = http.post(
        f"{API}/experiments/create",
        json={"name": name},
        headers={"Origin": "http://localhost:8000"},
    )
    assert_error(response, "PERMISSION_DENIED", 403)
    assert not experiment_exists(http, name)


def test_a_null_origin_write_is_refused(http):
    response = http.post(
        f"{API}/experiments/create", json={"name": unique("null")}, headers={"Origin": "null"}
    )
    assert_error(response, "PERMISSION_DENIED", 403)


def test_a_same_origin_write_is_served(http, guarded):
    name = unique("same-origin")
    response = http.post(
        f"{API}/experiments/create", json={"name": name}, headers={"Origin": guarded.url}
    )
    assert response.status_code == 200, response.text
    assert experiment_exists(http, name)


def test_a_cross_origin_read_gets_no_cors_headers(http):
    response = http.get(f"{API}/experiments/search", headers={"Origin": "http://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_a_text_plain_json_body_is_refused_even_from_the_same_origin(http):
    name = unique("text-plain")
    response = http.post(
        f"{API}/experiments/create",
        content=f'{{"name": "{name}"}}',
        headers={"Content-Type": "text/plain"},
    )
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)
    assert not experiment_exists(http, name)


def test_a_json_body_without_content_type_is_refused(http):
    response = http.post(f"{API}/experiments/create", content=b'{"name": "no-type"}')
    assert_error(response, "INVALID_PARAMETER_VALUE", 400)


def test_json_with_a_charset_parameter_is_accepted(http):
    name = unique("charset")
    response = http.post(
        f"{API}/experiments/create",
        content=f'{{"name": "{name}"}}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


def test_a_preflight_from_a_foreign_origin_is_refused(http):
    response = http.options(
        f"{API}/experiments/create",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert_error(response, "PERMISSION_DENIED", 403)
    assert "access-control-allow-origin" not in response.headers


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("cors")
    process = start_server(
        data_dir,
        f"sqlite:///{data_dir / 'trackyard.db'}",
        "--cors-allowed-origins",
        "https://notebooks.example.com",
    )
    yield process
    process.stop()


def test_a_preflight_from_an_allowed_origin_is_answered(cors_server):
    response = httpx.options(
        f"{cors_server.url}{API}/experiments/create",
        headers={
            "Origin": "https://notebooks.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://notebooks.example.com"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "content-type, authorization"
    assert "Origin" in response.headers["vary"]


def test_an_allowed_origin_may_write_and_read_the_answer(cors_server):
    name = unique("cors")
    response = httpx.post(
        f"{cors_server.url}{API}/experiments/create",
        json={"name": name},
        headers={"Origin": "https://notebooks.example.com"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "https://notebooks.example.com"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_origins_not_listed_stay_refused_when_some_are_allowed(cors_server):
    response = httpx.post(
        f"{cors_server.url}{API}/experiments/create",
        json={"name": unique("other")},
        headers={"Origin": "https://notebooks.example.com.evil"},
    )
    assert_error(response, "PERMISSION_DENIED", 403)


# ---------------------------------------------------------------- response headers
def test_api_answers_carry_security_headers_and_no_server_banner(http):
    response = http.get(f"{API}/experiments/search")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    assert "server" not in response.headers


def test_errors_carry_security_headers_too(http):
    response = http.get("/api/2.0/mlflow/no-such-endpoint")
    assert response.status_code == 404
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers


def test_the_ui_page_has_a_policy_that_allows_only_its_own_scripts(http):
    policy = http.get("/").headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy
    assert "'unsafe-eval'" not in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'self'" in policy


def test_an_uploaded_html_artifact_is_served_with_a_policy_that_runs_nothing(http):
    path = f"/api/2.0/mlflow-artifacts/artifacts/{unique('page')}/x.html"
    http.put(path, content=b"<script>alert(1)</script>").raise_for_status()
    response = http.get(path)
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-content-type-options"] == "nosniff"


# ---------------------------------------------------------------- a real browser
class AttackerSite:
    """A page on another loopback origin, served by a plain HTTP server."""

    def __init__(self, root: Path) -> None:
        handler = _handler_for(root)
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler_for(root: Path) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            pass

    return Handler


ATTACK_PAGE = """<!doctype html><html><body>
<form id="form" method="POST" enctype="text/plain" target="sink"
      action="{target}/api/2.0/mlflow/experiments/create">
  <input name='{{"name": "{form_name}", "x": "' value='"}}'>
</form>
<iframe name="sink"></iframe>
<script>
window.attack = async () => {{
  await fetch("{target}/api/2.0/mlflow/experiments/create", {{
    method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
    body: JSON.stringify({{name: "{fetch_name}"}}),
  }});
  document.getElementById("form").submit();
}};
</script></body></html>"""


def test_a_page_on_another_origin_cannot_create_experiments(guarded, http, tmp_path, browser):
    fetch_name, form_name = unique("from-fetch"), unique("from-form")
    page_text = ATTACK_PAGE.format(target=guarded.url, fetch_name=fetch_name, form_name=form_name)
    (tmp_path / "attack.html").write_text(page_text)
    site = AttackerSite(tmp_path)
    try:
        page = browser.new_page()
        page.goto(f"{site.url}/attack.html")
        with page.expect_response(lambda r: r.url.endswith("/experiments/create") and
                                  r.request.resource_type == "document"):  # fmt: skip
            page.evaluate("window.attack()")
        page.close()
    finally:
        site.close()
    assert not experiment_exists(http, fetch_name)
    assert not experiment_exists(http, form_name)


def test_a_page_on_an_allowed_origin_can_call_the_api(tmp_path, browser):
    site = AttackerSite(tmp_path)
    (tmp_path / "app.html").write_text("<!doctype html><p>notebook app</p>")
    uri = f"sqlite:///{tmp_path / 'db.sqlite'}"
    server = start_server(tmp_path / "server", uri, "--cors-allowed-origins", site.url)
    name = unique("allowed")
    try:
        page = browser.new_page()
        page.goto(f"{site.url}/app.html")
        answer = page.evaluate(
            """async ([target, name]) => {
                const response = await fetch(`${target}/api/2.0/mlflow/experiments/create`, {
                    method: "POST", headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({name}),
                });
                return await response.json();
            }""",
            [server.url, name],
        )
        page.close()
        assert answer["experiment_id"]
    finally:
        server.stop()
        site.close()
