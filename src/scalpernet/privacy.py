"""Masking of personal identifiers for roles that may not see them, and for logs."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from scalpernet.entities import split_uid

#: Entity kinds whose keys are personal identifiers (masked for analysts and in logs).
PERSONAL_KINDS = frozenset({"id_card", "phone", "patient"})


def mask_id_number(value: str) -> str:
    """``510107199001011234`` → ``510107********1234``: region kept, birth date hidden."""
    if len(value) <= 6:
        return "*" * len(value)
    if len(value) <= 10:
        return value[:2] + "*" * (len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; other numbers keep their last 4 digits at most."""
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask_patient_key(value: str) -> str:
    """A patient key ``<id number>|<name>``: the ID number masked, the name kept."""
    id_number, sep, name = value.partition("|")
    return mask_id_number(id_number) + sep + name


def mask_key(kind: str, key: str) -> str:
    """The key as a viewer without the right to personal data may see it."""
    if kind == "id_card":
        return mask_id_number(key)
    if kind == "phone":
        return mask_phone(key)
    if kind == "patient":
        return mask_patient_key(key)
    return key


def mask_uid(value: str) -> str:
    """An `Entity.uid` with its personal part masked (for log lines)."""
    kind, key = split_uid(value)
    return f"{kind}:{mask_key(kind, key)}"


# -- opaque references -------------------------------------------------------------------
# Analysts see masked ID numbers and phones but must still navigate from one entity to the
# next. An opaque reference stands in for the key: it names the entity exactly, reveals
# nothing of it, and cannot be forged without the secret kept in the data folder.

REF_PREFIX = "ref_"
_REF_SECRET_BYTES = 32
_SIV_BYTES = 16
_REF_CACHE_SIZE = 100_000


def load_ref_secret(path: Path) -> bytes:
    """The reference secret in `path`, created (mode 0600) with fresh random bytes if absent."""
    if path.exists():
        secret = path.read_bytes()
        if len(secret) < _REF_SECRET_BYTES:
            raise ValueError(f"reference secret {path} is too short")
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(_REF_SECRET_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secret)
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return secret


class RefCipher:
    """Deterministic authenticated encryption of entity uids (SIV construction, stdlib only).

    ``iv = HMAC-SHA256(k_mac, uid)[:16]`` is both the nonce and the tag; the uid is XORed
    with an HMAC-SHA256(k_enc, iv ‖ counter) keystream. The same uid always gives the same
    reference (so a client can tell two references apart without seeing keys), a changed
    byte fails the tag check, and without the secret nothing about the uid can be learnt.
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < _REF_SECRET_BYTES:
            raise ValueError("reference secret must be at least 32 bytes")
        self._k_mac = hmac.new(secret, b"scalpernet-ref-mac", hashlib.sha256).digest()
        self._k_enc = hmac.new(secret, b"scalpernet-ref-enc", hashlib.sha256).digest()
        self._cache: dict[str, str] = {}

    def _keystream(self, iv: bytes, length: int) -> bytes:
        blocks = []
        for counter in range((length + 31) // 32):
            msg = iv + counter.to_bytes(4, "big")
            blocks.append(hmac.new(self._k_enc, msg, hashlib.sha256).digest())
        return b"".join(blocks)[:length]

    def _encode(self, uid_value: str) -> str:
        plain = uid_value.encode("utf-8")
        iv = hmac.new(self._k_mac, plain, hashlib.sha256).digest()[:_SIV_BYTES]
        cipher = bytes(a ^ b for a, b in zip(plain, self._keystream(iv, len(plain)), strict=True))
        return REF_PREFIX + base64.urlsafe_b64encode(iv + cipher).rstrip(b"=").decode("ascii")

    def encode(self, uid_value: str) -> str:
        """The opaque reference of an entity uid (cached: a page names the same ones often)."""
        ref = self._cache.get(uid_value)
        if ref is None:
            if len(self._cache) >= _REF_CACHE_SIZE:
                self._cache.clear()
            ref = self._cache[uid_value] = self._encode(uid_value)
        return ref

    def decode(self, ref: str) -> str | None:
        """The uid behind a reference, or None when it is not a genuine reference."""
        if not ref.startswith(REF_PREFIX) or len(ref) > 2_048:
            return None
        body = ref[len(REF_PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, binascii.Error):
            return None
        if len(raw) <= _SIV_BYTES:
            return None
        iv, cipher = raw[:_SIV_BYTES], raw[_SIV_BYTES:]
        plain = bytes(a ^ b for a, b in zip(cipher, self._keystream(iv, len(cipher)), strict=True))
        expected = hmac.new(self._k_mac, plain, hashlib.sha256).digest()[:_SIV_BYTES]
        if not hmac.compare_digest(iv, expected):
            return None
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:
            return None


# -- free text ---------------------------------------------------------------------------
# Evidence, signal details and unknown export columns are free text written by other
# modules; what looks like an ID number or a phone in them is masked as well.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Phones as people write them too: 138-1234-5678, 138 1234 5678, 010-8765-4321, 0755 12345678.
_MOBILE_LIKE = re.compile(r"(?<![\d-])(?:\+?86[- ]?)?(1[3-9]\d(?:[- ]?\d{4}){2})(?![\d-])")
_LANDLINE_LIKE = re.compile(r"(?<![\d-])(0\d{2,3}[- ]?\d{3,4}[- ]?\d{4})(?![\d-])")
_UID_LIKE = re.compile(r"\b(id_card|phone|patient):([^\s,;\"']+)")
_SEPARATORS = re.compile(r"[- ]")
#: Cheap first look: no run of digits shaped like a phone and no personal uid prefix means
#: nothing to mask.
_CANDIDATE = re.compile(r"\d{10}|\d{3,4}[- ]\d{4}|id_card:|phone:|patient:")


@lru_cache(maxsize=200_000)
def mask_text(text: str) -> str:
    """Free text with anything shaped like an ID number, a phone or a personal uid masked.

    Cached: evidence repeats the same registration keys and details from page to page.
    """
    if _CANDIDATE.search(text) is None:
        return text
    text = _UID_LIKE.sub(lambda m: f"{m[1]}:{mask_key(m[1], m[2])}", text)
    text = _ID_LIKE.sub(lambda m: mask_id_number(m[1].upper()), text)
    text = _MOBILE_LIKE.sub(lambda m: mask_phone(_SEPARATORS.sub("", m[1])), text)
    return _LANDLINE_LIKE.sub(lambda m: mask_phone(_SEPARATORS.sub("", m[1])), text)


def mask_value(value: Any) -> Any:
    """`mask_text` applied to every string inside nested dicts and lists."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    return value
