"""The access layer's pure parts: permission names and order, how grants combine, how a
request's credential is read, and the per-process answer cache."""

from __future__ import annotations

import pytest

from trackyard.access.grants import effective, experiment_key, int_id
from trackyard.access.guard import TtlCache, credential_from_headers
from trackyard.access.levels import Level, parse
from trackyard.access.secrets import check_password, check_username
from trackyard.errors import ApiError


def test_levels_are_ordered_as_mlflow_orders_them() -> None:
    assert Level.DENY < Level.NO_PERMISSIONS < Level.READ < Level.USE < Level.EDIT < Level.MANAGE


@pytest.mark.parametrize("name", ["SUPERUSER", "read", "", None, 3])
def test_unknown_permission_names_are_refused(name) -> None:
    with pytest.raises(ApiError):
        parse(name)


def test_no_permissions_is_a_default_never_a_grant() -> None:
    assert parse("NO_PERMISSIONS") is Level.NO_PERMISSIONS
    with pytest.raises(ApiError):
        parse("NO_PERMISSIONS", grant=True)


def test_no_grant_means_the_default() -> None:
    assert effective(Level.READ, []) is Level.READ


def test_the_highest_grant_wins() -> None:
    assert effective(Level.NO_PERMISSIONS, [Level.READ, Level.EDIT]) is Level.EDIT


def test_deny_vetoes_every_other_grant() -> None:
    assert effective(Level.READ, [Level.MANAGE, Level.DENY]) is Level.DENY


@pytest.mark.parametrize("value", ["1 OR 1=1", "-1", "99999999999", "", True, 1.5])
def test_ids_outside_the_columns_range_are_refused(value) -> None:
    with pytest.raises(ApiError):
        int_id(value, "role_id")


def test_experiment_ids_take_a_file_stores_19_digits() -> None:
    assert experiment_key("9000000000000000001") == 9_000_000_000_000_000_001


@pytest.mark.parametrize("value", ["9223372036854775808", "1 OR 1=1", "-1", True])
def test_experiment_ids_beyond_64_bits_are_refused(value) -> None:
    with pytest.raises(ApiError):
        experiment_key(value)


def test_the_authorization_header_wins_over_the_session_cookie() -> None:
    headers = [(b"cookie", b"a=b; trackyard_session=s1"), (b"authorization", b"Bearer t1")]
    credential = credential_from_headers(headers)
    assert credential is not None and (credential.kind, credential.value) == ("bearer", "t1")


def test_the_session_cookie_is_read_among_others() -> None:
    credential = credential_from_headers([(b"cookie", b"a=b; trackyard_session=s1; c=d")])
    assert credential is not None and (credential.kind, credential.value) == ("session", "s1")


def test_an_unknown_scheme_is_no_credential_we_accept() -> None:
    credential = credential_from_headers([(b"authorization", b"Digest x")])
    assert credential is not None and credential.kind == "other"


def test_no_header_no_credential() -> None:
    assert credential_from_headers([(b"host", b"x")]) is None


def test_a_cached_answer_expires(monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("trackyard.access.guard.time.monotonic", lambda: clock[0])
    answers = TtlCache(2.0)
    answers.put("k", "v")
    assert answers.get("k") == "v"
    clock[0] += 2.5
    assert answers.get("k") != "v"


@pytest.mark.parametrize("name", ["a:b", " padded", "tab\there", "x" * 256, ""])
def test_bad_usernames_are_refused(name) -> None:
    with pytest.raises(ApiError):
        check_username(name)


@pytest.mark.parametrize("password", ["short", "x" * 1001, "twelve-chars\x00"])
def test_bad_passwords_are_refused(password) -> None:
    with pytest.raises(ApiError):
        check_password(password)
