"""The access layer: who a request comes from, and whether its route's rule lets them.

Checked once per request against the database that holds the tracking data. Answers are
remembered for at most `TTL` seconds per process, so a revoked token, a deleted user or a
changed grant takes effect on every worker and server within that time, while a training
loop's calls cost dictionary lookups (a password's slow hash is checked once per credential
and stored hash: the memo is keyed by both, so a changed password is never served from it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from ..errors import ApiError, not_found
from ..store.db import Database, Tx
from ..store.search_sql import Visible, is_id
from . import rules
from .accounts import Accounts, User
from .grants import Grants, Resource, experiment_key
from .levels import Level
from .secrets import hash_password, password_matches, token_digest

# Seconds an answer about a credential or a permission is reused (the issue allows 5).
TTL = 2.0
SESSION_COOKIE = "trackyard_session"
REALM_HEADER = {"WWW-Authenticate": 'Basic realm="trackyard"'}


def unauthenticated(
    message: str = "You must sign in: HTTP Basic credentials, a Bearer "
    "personal access token, or the web UI's session.",
) -> ApiError:
    return ApiError(message, "UNAUTHENTICATED", headers=REALM_HEADER)


def forbidden(message: str = "Permission denied.") -> ApiError:
    return ApiError(message, "PERMISSION_DENIED")


@dataclass(frozen=True)
class Credential:
    """What a request presents: ("basic" | "bearer" | "session", value); value is the raw
    header payload or cookie."""

    kind: str
    value: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(
            f"{self.kind}:{self.value}".encode("utf-8", "surrogatepass")
        ).hexdigest()


def credential_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> Credential | None:
    """The Authorization header's credential, else the session cookie's; None if neither."""
    cookie = None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, payload = value.decode("latin-1").strip().partition(" ")
            kind = scheme.lower()
            return Credential(kind if kind in ("basic", "bearer") else "other", payload.strip())
        if name == b"cookie":
            cookie = _session_cookie(value.decode("latin-1"))
    return None if cookie is None else Credential("session", cookie)


def _session_cookie(header: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None


class TtlCache:
    """A dict whose entries live `ttl` seconds; emptied whole when it grows past `size`."""

    def __init__(self, ttl: float, size: int = 50_000) -> None:
        self.ttl, self.size = ttl, size
        self.items: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any:
        item = self.items.get(key)
        if item is None or item[0] < time.monotonic():
            return _MISSING
        return item[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self.items) >= self.size:
            self.items.clear()
        self.items[key] = (time.monotonic() + self.ttl, value)


class Lru(OrderedDict):
    """A bounded memo for facts that never change (a run's experiment)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.limit = size

    def lookup(self, key: Any, find: Callable[[Any], Any]) -> Any:
        """The remembered value, else `find(key)`, remembered unless it is None (a missing
        row may yet be written)."""
        known = self.get(key)
        if known is None:
            known = find(key)
            if known is not None:
                self[key] = known
                if len(self) > self.limit:
                    self.popitem(last=False)
        return known


_MISSING = object()


@cache
def _unknown_user_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


class _Notifying:
    """The database, calling `changed` after each write transaction: a change made through
    this process is seen by its next request at once (other processes: within TTL)."""

    def __init__(self, db: Database, changed: Callable[[], None]) -> None:
        self.db, self.changed = db, changed
        self.read = db.read

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self.db.write() as tx:
            yield tx
        self.changed()


class Access:
    def __init__(self, db: Database, default: Level) -> None:
        notifying: Any = _Notifying(db, self.forget)
        self.accounts = Accounts(notifying)
        self.grants = Grants(notifying, default)
        self.default = default
        self.users = TtlCache(TTL)
        self.verified = Lru(4096)  # (credential digest, stored hash) pairs checked
        self.levels = TtlCache(TTL)
        self.model_keys = TtlCache(TTL)
        self.run_experiments = Lru(100_000)
        self.model_experiments = Lru(100_000)
        self.trace_experiments = Lru(100_000)  # a trace never moves to another experiment

    def forget(self) -> None:
        """Drop every answer that a change of users, tokens, roles or grants may alter."""
        for answers in (self.users, self.levels, self.model_keys):
            answers.items.clear()

    # ------------------------------------------------------------------ who
    def authenticate(self, credential: Credential | None) -> User:
        if credential is None:
            raise unauthenticated()
        digest = credential.digest
        user = self.users.get(digest)
        if user is _MISSING:
            user = self._identify(credential, digest)
            if user is not None:
                user = replace(user, signed_in_with=credential.kind)
            self.users.put(digest, user)
        if user is None:
            if credential.kind == "session":  # the web UI signs in again; no browser dialog
                raise ApiError("Your session has ended: sign in again.", "UNAUTHENTICATED")
            raise unauthenticated("Invalid credentials.")
        return user

    def known_user(self, credential: Credential | None) -> User | None:
        """The user of a credential checked in the last TTL seconds; None if not known."""
        if credential is None:
            return None
        user = self.users.get(credential.digest)
        return None if user is _MISSING else user

    def _identify(self, credential: Credential, digest: str) -> User | None:
        if credential.kind in ("bearer", "session"):
            return self.accounts.token_user(token_digest(credential.value))
        if credential.kind != "basic":
            return None
        try:
            decoded = base64.b64decode(credential.value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, colon, password = decoded.partition(":")
        found = self.accounts.password_hash(username) if colon else None
        if found is None:  # as slow as a wrong password: the timing tells no names apart
            password_matches(_unknown_user_hash(), password)
            return None
        user, stored = found
        if (digest, stored) not in self.verified:
            if not password_matches(stored, password):
                return None
            self.verified.lookup((digest, stored), lambda _: True)
        return user

    # ------------------------------------------------------------------ may they
    def authorize(self, user: User, rule: rules.Rule, source: Any) -> None:
        """Raise PERMISSION_DENIED unless the rule lets `user` make this request; `source`
        is the decoded message (typed endpoints) or the Starlette request (raw routes)."""
        if user.is_admin or rule.scope in (rules.OPEN, rules.SIGNED_IN, rules.FILTERED):
            return
        if rule.scope != rules.RESOURCE or rule.pick is None:
            raise forbidden("Permission denied: only admins may do this.")
        for resource in self.resources(rule, rule.pick(source)):
            if self.level(user, resource) < rule.level:
                needed = f"{rule.level.name} permission on the {resource.type}"
                raise forbidden(f"Permission denied: this needs {needed}.")

    def level(self, user: User, resource: Resource) -> Level:
        if user.is_admin:
            return Level.MANAGE
        key = (user.id, resource.type, resource.key)
        level = self.levels.get(key)
        if level is _MISSING:
            level = self.grants.level(user.id, resource)
            self.levels.put(key, level)
        return level

    def resources(self, rule: rules.Rule, picked: Any) -> list[Resource]:
        """The experiments or registered models a request touches. An id that names nothing
        yields none: the handler then answers as it does for a missing resource."""
        via = rule.via
        if via == "resource":
            resource_type, resource_id = picked
            return [self.grants.resource(resource_type, resource_id)]
        if via == "proxy_path":  # the whole store's root, or no experiment's folder: admins'
            return [self._proxy_experiment(picked or "")]
        if not picked:
            return []
        if via == "experiment":
            return [Resource("experiment", experiment_key(picked))]
        if via == "run":
            return self._experiments([self._run_experiment(picked)])
        if via == "runs":
            return self._experiments([self._run_experiment(run_id) for run_id in picked])
        if via == "logged_model":
            return self._experiments([self._model_experiment(picked)])
        if via == "trace":
            return self._experiments([self._trace_experiment(picked)])
        if via == "traces":
            return self._experiments([self._trace_experiment(trace_id) for trace_id in picked])
        if via == "registered_model":
            key = self._model_key(picked)
            return [] if key is None else [Resource("registered_model", key)]
        if via == "experiment_name":
            key = self.grants.experiment_by_name(picked)
            return [] if key is None else [Resource("experiment", key)]
        raise AssertionError(f"unknown rule source {via}")

    def _experiments(self, ids: list[int | None]) -> list[Resource]:
        return [Resource("experiment", key) for key in sorted({i for i in ids if i is not None})]

    def _run_experiment(self, run_id: str) -> int | None:
        return self.run_experiments.lookup(run_id, self.grants.run_experiment)

    def _model_experiment(self, model_id: str) -> int | None:
        return self.model_experiments.lookup(model_id, self.grants.logged_model_experiment)

    def _trace_experiment(self, trace_id: str) -> int | None:
        return self.trace_experiments.lookup(trace_id, self.grants.trace_experiment)

    def _model_key(self, name: str) -> int | None:
        """A registered model's key by name. A name that names nothing is asked again next
        time: a model created or renamed to it must not go unchecked meanwhile."""
        key = self.model_keys.get(name)
        if key is _MISSING:
            key = self.grants.model_key(name)
            if key is not None:
                self.model_keys.put(name, key)
        return key

    @staticmethod
    def _proxy_experiment(path: str) -> Resource:
        """Proxied artifacts live under `<experiment id>/...`; any other path is an admin's."""
        first = path.strip("/").split("/", 1)[0]
        if not is_id(first):
            raise forbidden(
                "Permission denied: artifact paths outside an experiment's folder are admin-only."
            )
        return Resource("experiment", int(first))

    def after(self, user: User, rule: rules.Rule, message: Any, result: Any) -> None:
        """The creator gets MANAGE on what they created."""
        if rule.creates == "experiment":
            key = int(result["experiment_id"])
        elif rule.creates == "registered_model":
            found = self.grants.model_key(message.name)
            if found is None:
                return
            key = found
        else:
            return
        resource = Resource(rule.creates, key)
        if self.grants.get(("user", user.id), resource) is None:
            self.grants.grant(("user", user.id), resource, Level.MANAGE)

    def require_level(self, user: User, resource: Resource, level: Level) -> None:
        if self.level(user, resource) < level:
            raise forbidden(f"Permission denied: this needs {level.name} on the {resource.type}.")


class Caller:
    """Who called (None with auth off) and what they may read: searches apply `condition` in
    SQL, before paging, so a page holds only what the caller may read and paging stays exact."""

    def __init__(self, access: Access | None, user: User | None) -> None:
        self.access, self.user = access, user

    @property
    def sees_everything(self) -> bool:
        return self.access is None or self.user is None or self.user.is_admin

    def experiment_ids(self, ids: Sequence[str]) -> list[str]:
        if self.sees_everything:
            return list(ids)
        assert self.access is not None and self.user is not None
        return self.access.grants.readable_experiments(self.user.id, ids)

    def visible(self, resource_type: str) -> Visible | None:
        """The read condition a search applies (see search_sql.restrict); None: all rows."""
        if self.sees_everything:
            return None
        assert self.access is not None and self.user is not None
        grants, user_id = self.access.grants, self.user.id
        return lambda key_sql: grants.readable_condition(user_id, resource_type, key_sql)


ANONYMOUS = Caller(None, None)


def missing_user(username: str) -> ApiError:
    return not_found(f"User with username={username[:300]!r} not found")


STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def request_credential(scope: Any) -> Credential | None:
    """The request's credential. A browser session writes only with an Origin header (which
    the browser guard, trackyard/security.py, has checked is this server's or an allowed one):
    every browser sends one on a cross-site or same-site write, so a request without one that
    still carries the cookie did not come from our pages."""
    headers = scope["headers"]
    credential = credential_from_headers(headers)
    if (
        credential is not None
        and credential.kind == "session"
        and scope["method"] in STATE_CHANGING
        and not any(name == b"origin" for name, _ in headers)
    ):
        raise forbidden("Refused: a signed-in browser's write must carry an Origin header.")
    return credential


def admit(
    access: Access | None, rule: rules.Rule, source: Any, credential: Credential | None
) -> Caller:
    """The caller, if the rule lets them in; else UNAUTHENTICATED or PERMISSION_DENIED."""
    if access is None:
        return ANONYMOUS
    if rule.scope == rules.OPEN:
        return Caller(access, None)
    user = access.authenticate(credential)
    access.authorize(user, rule, source)
    return Caller(access, user)
