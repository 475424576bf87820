"""Where an API call runs: on the event loop when it is quick and alone, on its endpoint's
batch lane when it has one (SQLite), else on a store thread; and how the indexed router finds
a raw route.

These drive `ApiApp` in process with handlers that report their thread; what each call does
over HTTP against real stores is specified by the other suites, which run both ways.
"""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import httpx
import msgspec
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from trackyard.dispatch import ApiApp, ApiRoutes, Batch, IndexedRouter, Reply
from trackyard.errors import invalid, not_found
from trackyard.limits import BodyBudget

EVENT_LOOP = threading.main_thread().name


class Ping(msgspec.Struct):
    name: str = ""


def _area(slow_started: threading.Event, slow_release: threading.Event) -> ApiRoutes:
    area = ApiRoutes()

    @area.post("test/quick", Ping, quick=True)
    def quick(services: object, req: Ping) -> dict:
        if req.name == "missing":
            raise not_found("No such thing")
        if req.name == "bug":
            raise RuntimeError("a bug")
        return {"thread": threading.current_thread().name}

    @area.post("test/sometimes", Ping, quick=lambda req: req.name == "small")
    def sometimes(services: object, req: Ping) -> dict:
        return {"thread": threading.current_thread().name}

    @area.post("test/plain", Ping)
    def plain(services: object, req: Ping) -> dict:
        return {"thread": threading.current_thread().name}

    @area.post("test/slow", Ping)
    def slow(services: object, req: Ping) -> dict:
        slow_started.set()
        slow_release.wait(10)
        return {"thread": threading.current_thread().name}

    def prepare(services: object, req: Ping) -> str:
        if req.name == "missing":
            raise not_found("No such thing")
        return req.name

    def store(services: object, names: list[str]) -> list:
        thread = threading.current_thread().name
        return [({"thread": thread, "name": name, "batch": len(names)}, None) for name in names]

    @area.post("test/batched", Ping, batch=Batch(prepare, store))
    def batched(services: object, req: Ping) -> dict:
        ((result, _),) = store(services, [prepare(services, req)])
        return result

    @area.post("/v1/echo", Echo, reader=_read_echo)
    def echo(services: object, req: Echo) -> Reply:
        return Reply(req.body[::-1], req.media_type)

    return area


class Echo(msgspec.Struct):
    media_type: str
    body: bytes


def _read_echo(scope, body: bytes) -> Echo:
    """A reader sees the raw body and the headers, whatever the media type."""
    media_type = dict(scope["headers"]).get(b"content-type", b"").decode()
    if not media_type:
        raise invalid("no media type")
    return Echo(media_type, body)


async def _unrouted(scope, receive, send) -> None:
    raise AssertionError(f"{scope['path']} reached the fallback")


class Harness:
    """An ApiApp over the test area, and a client for it."""

    def __init__(self, in_process: bool) -> None:
        self.slow_started, self.slow_release = threading.Event(), threading.Event()
        area = _area(self.slow_started, self.slow_release)
        services = SimpleNamespace(access=None)  # what the handlers see: no access layer
        self.app = ApiApp([area], services, _unrouted, BodyBudget(2**30), in_process=in_process)

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url="http://test")


def _thread_of(path: str, in_process: bool = True, body: dict | None = None) -> str:
    async def call() -> str:
        async with Harness(in_process).client() as client:
            response = await client.post(f"/api/2.0/{path}", json=body or {})
            return response.json()["thread"]

    return asyncio.run(call())


def test_a_lone_quick_call_runs_on_the_event_loop_when_the_database_is_in_process():
    assert _thread_of("test/quick") == EVENT_LOOP


def test_a_quick_call_runs_on_a_store_thread_when_the_database_is_a_server():
    assert _thread_of("test/quick", in_process=False).startswith("trackyard-api-")


def test_a_call_not_declared_quick_runs_on_a_store_thread():
    assert _thread_of("test/plain").startswith("trackyard-api-")


def test_a_call_quick_for_some_messages_runs_on_the_event_loop_for_those():
    assert _thread_of("test/sometimes", body={"name": "small"}) == EVENT_LOOP


def test_a_call_quick_for_some_messages_runs_on_a_store_thread_for_the_others():
    assert _thread_of("test/sometimes", body={"name": "large"}).startswith("trackyard-api-")


def test_a_batched_call_runs_on_its_lanes_thread_when_the_database_is_in_process():
    assert _thread_of("test/batched", body={"name": "a"}) == "trackyard-batched"


def test_a_batched_call_runs_on_a_store_thread_when_the_database_is_a_server():
    thread = _thread_of("test/batched", in_process=False, body={"name": "a"})
    assert thread.startswith("trackyard-api-")


def test_batched_calls_are_each_answered_and_one_that_fails_alone():
    async def call() -> list[httpx.Response]:
        async with Harness(in_process=True).client() as client:
            names = ["a", "missing", "b"]
            sent = [client.post("/api/2.0/test/batched", json={"name": n}) for n in names]
            return await asyncio.gather(*sent)

    first, missing, last = asyncio.run(call())
    assert (first.json()["name"], last.json()["name"]) == ("a", "b")
    assert missing.status_code == 404
    assert missing.json() == {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No such thing"}


def test_a_quick_call_runs_on_a_store_thread_while_another_request_is_in_flight():
    harness = Harness(in_process=True)

    async def call() -> tuple[str, str]:
        async with harness.client() as client:
            slow = asyncio.create_task(client.post("/api/2.0/test/slow", json={}))
            while not harness.slow_started.is_set():
                await asyncio.sleep(0.001)
            quick = await client.post("/api/2.0/test/quick", json={})
            harness.slow_release.set()
            return quick.json()["thread"], (await slow).json()["thread"]

    quick_thread, slow_thread = asyncio.run(call())
    assert quick_thread.startswith("trackyard-api-")
    assert slow_thread.startswith("trackyard-api-")
    assert harness.app.in_flight == 0


def test_an_api_error_on_the_event_loop_is_answered_in_mlflow_shape():
    async def call() -> httpx.Response:
        async with Harness(in_process=True).client() as client:
            return await client.post("/api/2.0/test/quick", json={"name": "missing"})

    response = asyncio.run(call())
    assert response.status_code == 404
    assert response.json() == {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No such thing"}


def test_a_bug_on_the_event_loop_is_an_internal_error_and_the_app_serves_on():
    harness = Harness(in_process=True)

    async def call() -> tuple[httpx.Response, httpx.Response]:
        async with harness.client() as client:
            broken = await client.post("/api/2.0/test/quick", json={"name": "bug"})
            after = await client.post("/api/2.0/test/quick", json={})
            return broken, after

    broken, after = asyncio.run(call())
    assert broken.status_code == 500
    assert broken.json()["error_code"] == "INTERNAL_ERROR"
    assert after.json()["thread"] == EVENT_LOOP
    assert harness.app.in_flight == 0


def _post_echo(body: bytes, headers: dict[str, str]) -> httpx.Response:
    async def call() -> httpx.Response:
        async with Harness(in_process=True).client() as client:
            return await client.post("/v1/echo", content=body, headers=headers)

    return asyncio.run(call())


def test_an_endpoint_with_its_own_reader_gets_the_raw_body_at_its_own_url():
    response = _post_echo(b"\x00\x01 not json", {"content-type": "application/x-protobuf"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    assert response.content == b"nosj ton \x01\x00"


def test_a_readers_refusal_is_answered_in_mlflow_shape():
    response = _post_echo(b"data", {"content-type": ""})
    assert response.status_code == 400
    assert response.json() == {"error_code": "INVALID_PARAMETER_VALUE", "message": "no media type"}


# --- IndexedRouter: fixed paths by lookup, in Starlette's order --------------------------


def _named(name: str):
    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{name} {request.path_params}")

    return endpoint


def _indexed_app() -> IndexedRouter:
    return IndexedRouter(
        [
            Route("/items/{item_id}", _named("item"), methods=["GET"]),
            Route("/items/search", _named("search"), methods=["GET", "POST"]),
            Route("/v1/export", _named("export-get"), methods=["GET"]),
            Route("/v1/export", _named("export-post"), methods=["POST"]),
            Route("/later/{rest:path}", _named("later"), methods=["GET"]),
        ]
    )


def _request(router: IndexedRouter, method: str, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=router)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path)

    return asyncio.run(call())


def test_the_indexed_router_finds_a_fixed_path_by_lookup_and_serves_each_method():
    router = _indexed_app()
    assert set(router.fixed) == {"/v1/export"}
    assert _request(router, "GET", "/v1/export").text == "export-get {}"
    assert _request(router, "POST", "/v1/export").text == "export-post {}"


def test_a_fixed_path_an_earlier_pattern_matches_goes_where_starlette_sends_it():
    router = _indexed_app()
    assert "/items/search" not in router.fixed
    assert _request(router, "GET", "/items/search").text == "item {'item_id': 'search'}"
    assert _request(router, "POST", "/items/search").text == "search {}"


def test_the_indexed_router_answers_405_and_404_as_starlette_does():
    router = _indexed_app()
    assert _request(router, "DELETE", "/v1/export").status_code == 405
    assert _request(router, "GET", "/nowhere").status_code == 404
    assert _request(router, "GET", "/later/a/b").text == "later {'rest': 'a/b'}"
