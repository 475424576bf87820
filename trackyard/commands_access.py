"""`trackyard users ...` and `trackyard tokens ...`: accounts and personal access tokens on
the configured backend store, for the first admin and for scripts (docker-compose's init
step makes JupyterLab's token this way). They work whether or not a server is running."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import click

from .commands_db import BACKEND_STORE_URI
from .errors import ApiError


def _accounts(uri: str) -> Any:
    from .access.accounts import Accounts
    from .store import open_database

    try:
        return Accounts(open_database(uri))
    except Exception as error:  # any driver's connection or schema error: one clear line
        raise click.ClickException(f"Cannot open the backend store: {error}") from None


def _run(action: Callable[[], Any]) -> Any:
    """The store's refusals (a short password, a missing user) as one clear line, exit 1."""
    try:
        return action()
    except ApiError as error:
        raise click.ClickException(error.message) from None


def _password(value: str | None) -> str:
    return value or click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Accounts for `trackyard server --auth`."""


@users.command("create")
@click.argument("username")
@click.option("--password", envvar="TRACKYARD_NEW_PASSWORD", help="Prompted for if not given.")
@click.option("--admin", is_flag=True, help="The user administers users and bypasses grants.")
@BACKEND_STORE_URI
def create_user(username: str, password: str | None, admin: bool, backend_store_uri: str) -> None:
    accounts = _accounts(backend_store_uri)
    user = _run(lambda: accounts.create_user(username, _password(password), is_admin=admin))
    click.echo(f"Created {'admin ' if admin else ''}user '{user.username}' (id {user.id}).")


@users.command("list")
@BACKEND_STORE_URI
def list_users(backend_store_uri: str) -> None:
    for user in _accounts(backend_store_uri).list_users():
        click.echo("\t".join([str(user.id), user.username, *(["admin"] if user.is_admin else [])]))


@users.command("set-password")
@click.argument("username")
@click.option("--password", envvar="TRACKYARD_NEW_PASSWORD", help="Prompted for if not given.")
@BACKEND_STORE_URI
def set_password(username: str, password: str | None, backend_store_uri: str) -> None:
    accounts = _accounts(backend_store_uri)
    _run(lambda: accounts.set_password(username, _password(password)))
    click.echo(f"Password of '{username}' changed.")


@users.command("set-admin")
@click.argument("username")
@click.argument("is_admin", type=click.BOOL)
@BACKEND_STORE_URI
def set_admin(username: str, is_admin: bool, backend_store_uri: str) -> None:
    _run(lambda: _accounts(backend_store_uri).set_admin(username, is_admin))
    click.echo(f"'{username}' is {'now' if is_admin else 'no longer'} an admin.")


@users.command("delete")
@click.argument("username")
@BACKEND_STORE_URI
def delete_user(username: str, backend_store_uri: str) -> None:
    _run(lambda: _accounts(backend_store_uri).delete_user(username))
    click.echo(f"Deleted user '{username}'.")


@click.group()
def tokens() -> None:
    """Personal access tokens (MLFLOW_TRACKING_TOKEN) of a user."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--expires-in-days", type=click.IntRange(1, 36500), help="[default: never]")
@BACKEND_STORE_URI
def create_token(
    username: str, name: str, expires_in_days: int | None, backend_store_uri: str
) -> None:
    """Print a new token (once: only its digest is stored)."""
    accounts = _accounts(backend_store_uri)
    expiry = None
    if expires_in_days is not None:
        expiry = int((time.time() + expires_in_days * 86400) * 1000)
    user = _run(lambda: accounts.get_user(username))
    token, _ = _run(lambda: accounts.create_token(user.id, name, expiry))
    click.echo(token)


@tokens.command("list")
@click.argument("username")
@BACKEND_STORE_URI
def list_tokens(username: str, backend_store_uri: str) -> None:
    accounts = _accounts(backend_store_uri)
    user = _run(lambda: accounts.get_user(username))
    for token in accounts.list_tokens(user.id):
        state = "revoked" if token["revoked_time"] else "active"
        click.echo(f"{token['id']}\t{token['name']}\t{state}")


@tokens.command("revoke")
@click.argument("username")
@click.argument("token_id", type=int)
@BACKEND_STORE_URI
def revoke_token(username: str, token_id: int, backend_store_uri: str) -> None:
    accounts = _accounts(backend_store_uri)
    user = _run(lambda: accounts.get_user(username))
    _run(lambda: accounts.revoke_token(user.id, token_id))
    click.echo(f"Revoked token {token_id} of '{username}'.")


def _api(server: str, path: str, method: str, body: dict, auth: tuple[str, str]) -> dict:
    """One call of a running server's API with Basic credentials; its JSON answer."""
    import base64
    import json
    import urllib.error
    import urllib.request

    basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
    request = urllib.request.Request(
        f"{server.rstrip('/')}/api/{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
        raise ApiError(answer.get("message", str(error)), answer.get("error_code", "")) from None


@tokens.command("issue")
@click.option("--server", required=True, help="The trackyard server, e.g. http://trackyard:5000.")
@click.option("--username", required=True, help="The user the token acts as (made if missing).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Token file.")
def issue_token(server: str, username: str, out: str) -> None:
    """Give a service its own user and token through a running server's API, with the admin's
    credentials from TRACKYARD_ADMIN_USERNAME / TRACKYARD_ADMIN_PASSWORD (which the service
    never sees). Does nothing if `out` holds a token already: docker-compose's init step."""
    import os
    import secrets
    from pathlib import Path

    from .access.options import ADMIN_PASSWORD_ENV, ADMIN_USERNAME_ENV

    path = Path(out)
    if path.exists() and path.read_text().strip():
        click.echo(f"{out} holds a token already.")
        return
    admin = (os.environ.get(ADMIN_USERNAME_ENV, ""), os.environ.get(ADMIN_PASSWORD_ENV, ""))
    if not all(admin):
        raise click.ClickException(f"Set {ADMIN_USERNAME_ENV} and {ADMIN_PASSWORD_ENV}.")
    password = secrets.token_urlsafe(24)  # used once, below, then forgotten
    account = {"username": username, "password": password}
    try:
        _api(server, "2.0/mlflow/users/create", "POST", account, admin)
    except ApiError as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise click.ClickException(error.message) from None
        _run(lambda: _api(server, "2.0/mlflow/users/update-password", "PATCH", account, admin))
    answer = _run(
        lambda: _api(
            server, "2.0/trackyard/tokens/create", "POST", {"name": path.name}, (username, password)
        )
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(answer["token"] + "\n")
    click.echo(f"Wrote a token of '{username}' to {out}.")
