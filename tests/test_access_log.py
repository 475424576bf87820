"""`--access-log-format json`: one JSON object a line for every request."""

from __future__ import annotations

import json

import httpx

from .helpers import API
from .servers import start_server


def test_json_access_log_lines_parse_and_name_each_request(tmp_path):
    server = start_server(
        tmp_path / "server", f"sqlite:///{tmp_path / 't.db'}", "--access-log-format", "json"
    )
    try:
        with httpx.Client(base_url=server.url) as http:
            http.get(f"{API}/experiments/search", params={"max_results": 3})
            http.get("/no-such-path")
    finally:
        server.stop()
    lines = [line for line in server.log().splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    by_path = {entry["path"]: entry for entry in entries}
    search = by_path[f"{API}/experiments/search?max_results=3"]
    assert (search["method"], search["status"], search["http_version"]) == ("GET", 200, "1.1")
    assert search["client"].startswith("127.0.0.1:")
    assert search["time"].endswith("+00:00")
    assert by_path["/no-such-path"]["status"] == 404


def test_the_text_access_log_names_each_request(tmp_path):
    """uvicorn's own line; it was silenced by the server's log level before."""
    server = start_server(tmp_path / "server", f"sqlite:///{tmp_path / 't.db'}", "--access-log")
    try:
        httpx.get(f"{server.url}/version")
    finally:
        server.stop()
    assert '"GET /version HTTP/1.1" 200' in server.log()
