"""Passwords and tokens: how they are made, stored and compared.

Passwords are hashed with argon2id (argon2-cffi): slow on purpose, so a stolen database
does not give them away; the access layer remembers a verified credential for a few seconds
(trackyard/access/credentials.py) so that a training loop does not pay a hash per call.
Tokens are 256 random bits: a SHA-256 of one is as safe to store as a slow hash of a password
and lets a request find its token by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import invalid

# MLflow 3.17's bounds on passwords; a username is a name, kept to what the column holds.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
MAX_USERNAME_LENGTH = 255
TOKEN_PREFIX = "tyt_"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    """Constant-time comparison by argon2's own verify; a damaged hash matches nothing."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_password(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise invalid("Password is required.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise invalid(f"Password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    if "\x00" in password:
        raise invalid("Password may not contain NUL characters.")
    return password


def check_username(username: object) -> str:
    """A username: 1-255 printable characters without ':' (Basic credentials split on the
    first colon) and without surrounding whitespace."""
    if not isinstance(username, str) or not username:
        raise invalid("Username is required.")
    if len(username) > MAX_USERNAME_LENGTH:
        raise invalid(f"Username must be at most {MAX_USERNAME_LENGTH} characters long.")
    if ":" in username or username != username.strip() or not username.isprintable():
        raise invalid("Username may not contain ':', control characters or surrounding whitespace.")
    return username
