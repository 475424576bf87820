"""`trackyard server --auth`: its flags, the first admin, and the start-up checks."""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING

import click

from ..errors import ApiError
from .accounts import Accounts
from .levels import Level

if TYPE_CHECKING:
    from ..config import ServerConfig
    from ..store.db import Database

DEFAULT_CHOICES = ("NO_PERMISSIONS", "READ", "EDIT", "MANAGE")
ADMIN_USERNAME_ENV = "TRACKYARD_ADMIN_USERNAME"
ADMIN_PASSWORD_ENV = "TRACKYARD_ADMIN_PASSWORD"

# `trackyard server` flags; the keyword arguments match ServerConfig fields.
OPTIONS = [
    click.option(
        "--auth/--no-auth",
        default=False,
        show_default=True,
        envvar="TRACKYARD_AUTH",
        help="Require sign-in (HTTP Basic, Bearer tokens, UI sessions) and check permissions "
        "on experiments and models; see docs/security.md.",
    ),
    click.option(
        "--auth-default-permission",
        type=click.Choice(DEFAULT_CHOICES),
        default="READ",
        show_default=True,
        envvar="TRACKYARD_AUTH_DEFAULT_PERMISSION",
        help="What a signed-in user may do where no grant says otherwise.",
    ),
]


def default_level(config: ServerConfig) -> Level:
    return Level[config.auth_default_permission]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare(config: ServerConfig, database: Database) -> None:
    """Before serving: warn about an open server reachable from the network; with --auth,
    create the first admin from the environment, and refuse to start without any admin."""
    if not config.auth:
        if not is_loopback(config.host):
            click.echo(
                f"WARNING: serving on {config.host} without --auth: anyone who can reach this "
                "port can read, change and delete every experiment, model and artifact. "
                "Use --auth (TRACKYARD_AUTH=1) on a shared network.",
                err=True,
            )
        return
    accounts = Accounts(database)
    username = os.environ.get(ADMIN_USERNAME_ENV, "")
    password = os.environ.get(ADMIN_PASSWORD_ENV, "")
    if username and password:
        try:
            accounts.create_user(username, password, is_admin=True)
            click.echo(f"Created the admin user '{username}' from {ADMIN_USERNAME_ENV}.")
        except ApiError as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise click.ClickException(f"{ADMIN_PASSWORD_ENV}: {error.message}") from None
    if not accounts.admin_exists():
        raise click.ClickException(
            f"--auth needs an admin and the database has none: set {ADMIN_USERNAME_ENV} and "
            f"{ADMIN_PASSWORD_ENV} (a password of at least 12 characters; there is no default), "
            "or run `trackyard users create --admin` first."
        )
