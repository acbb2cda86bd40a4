"""API keys: created, listed and revoked here; only a SHA-256 of the secret is stored.

A key reads ``snk_<id>_<secret>``: ``id`` (16 hex digits) is public and finds the
``:ApiKey`` node with one index lookup; ``secret`` (43 URL-safe characters, 256 random
bits) is shown once at creation and stored only as its SHA-256, compared in constant time.
A high-entropy secret needs no slow password hash: nothing is left to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Any, Literal

from scalpernet.errors import InputError
from scalpernet.graph import Graph

ApiRole = Literal["investigator", "analyst", "admin", "ingest"]
API_ROLES: tuple[str, ...] = ("investigator", "analyst", "admin", "ingest")
KEY_PREFIX = "snk"
_KEY = re.compile(r"^snk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_ID = re.compile(r"^[0-9a-f]{16}$")


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_key(presented: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a presented key, or None when it does not have the key's shape."""
    match = _KEY.match(presented.strip())
    return (match[1], match[2]) if match else None


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def new_key() -> tuple[str, str, str]:
    """A fresh ``(id, secret, full key)``."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, secret, f"{KEY_PREFIX}_{key_id}_{secret}"


def _native(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.to_native() if hasattr(v, "to_native") else v for k, v in record.items()}


def create_key(graph: Graph, role: str, name: str = "") -> tuple[dict[str, Any], str]:
    """Store a new key for `role`; returns its public record and the full key (shown once)."""
    if role not in API_ROLES:
        raise InputError(f"unknown role {role!r}: choose one of {', '.join(API_ROLES)}")
    key_id, secret, full = new_key()
    records = graph.write("api_key_create", id=key_id, hash=hash_secret(secret), role=role,
                          key_name=name, created_at=datetime.now(UTC))
    return _native(records[0]["key"]), full


def list_keys(graph: Graph) -> list[dict[str, Any]]:
    """Every key's public record (id, role, name, created_at, revoked_at), newest first."""
    return [_native(r["key"]) for r in graph.read("api_keys_list")]


def revoke_key(graph: Graph, key_id: str) -> dict[str, Any]:
    """Revoke a key by id; it stays listed with its revocation time."""
    if not _ID.match(key_id):
        raise InputError(f"not a key id: {key_id!r} (16 hex digits, see `apikey list`)")
    records = graph.write("api_key_revoke", id=key_id, revoked_at=datetime.now(UTC))
    if not records:
        raise InputError(f"no API key with id {key_id}")
    return _native(records[0]["key"])


def key_role(graph: Graph, presented: str) -> str:
    """The role of a presented, unrevoked key, or an InputError saying why it is refused."""
    parsed = parse_key(presented)
    if parsed is None:
        raise InputError("malformed API key (snk_<id>_<secret>)")
    records = graph.read("api_key_get", id=parsed[0])
    stored = records[0]["key"] if records else None
    if stored is None or not secret_matches(parsed[1], stored.get("hash") or ""):
        raise InputError("unknown API key")
    if stored.get("revoked_at") is not None:
        raise InputError("this API key has been revoked")
    return str(stored["role"])
