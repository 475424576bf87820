"""Signing the web UI in and out: a session cookie holding a random token (stored hashed,
revocable like a personal access token, gone after SESSION_HOURS).

The cookie is HttpOnly (page scripts never see it), SameSite=Strict (other sites' pages do
not send it) and Secure when the request came over HTTPS; a write that carries it must also
carry an Origin header, which the browser guard has checked (trackyard/access/guard.py).
"""

from __future__ import annotations

import base64

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..access import rules as r
from ..access.accounts import SESSION
from ..access.guard import SESSION_COOKIE, Access, Credential, request_credential
from ..dispatch import ApiRoutes
from ..errors import ApiError
from ..messages.access import SignIn
from ..store.db import now_ms
from ..wire import JSONResponse, read_message

api = ApiRoutes()
SESSION_HOURS = 12


def _paths(action: str) -> tuple[str, ...]:
    return tuple(f"/{prefix}/2.0/trackyard/session/{action}" for prefix in ("api", "ajax-api"))


def _access(request: Request) -> Access:
    access = request.app.state.services.access
    if access is None:
        raise ApiError(
            "Access control is off on this server (start it with --auth).",
            "ENDPOINT_NOT_FOUND",
            404,
        )
    return access


def _sign_in(access: Access, username: str, password: str) -> tuple[str, dict]:
    """A new session's token and the user; a slow password check, so in a worker thread."""
    try:
        user = access.authenticate(Credential("basic", _basic(username, password)))
    except ApiError:  # no WWW-Authenticate: a browser would open its own sign-in dialog
        raise ApiError("Invalid username or password.", "UNAUTHENTICATED") from None
    expiry = now_ms() + SESSION_HOURS * 3600 * 1000
    token, _ = access.accounts.create_token(user.id, "web UI session", expiry, kind=SESSION)
    return token, user.to_json()


def _basic(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


@api.route(*_paths("sign-in"), methods=("POST",), rule=r.OPEN_RULE)
async def sign_in(request: Request) -> Response:
    access = _access(request)
    message = await read_message(request, SignIn)
    if not message.username or not message.password:
        raise ApiError("Username and password are required.", "UNAUTHENTICATED")
    token, user = await run_in_threadpool(_sign_in, access, message.username, message.password)
    response = JSONResponse({"user": user})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@api.route(*_paths("current"), methods=("GET",), rule=r.OPEN_RULE)
async def current(request: Request) -> Response:
    """Whom the web UI's page is signed in as: `{"auth": false}` with auth off, else the
    session's user or null. Never a 401 or 404 (the page asks before anyone signs in, and a
    browser logs every failed load as a console error)."""
    access = request.app.state.services.access
    if access is None:
        return JSONResponse({"auth": False, "user": None})
    try:
        credential = request_credential(request.scope)
        user = await run_in_threadpool(access.authenticate, credential)
    except ApiError:
        return JSONResponse({"auth": True, "user": None})
    return JSONResponse({"auth": True, "user": user.to_json()})


@api.route(*_paths("sign-out"), methods=("POST",), rule=r.OPEN_RULE)
async def sign_out(request: Request) -> Response:
    access = _access(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(access.accounts.end_session, token)
    response = JSONResponse({})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
