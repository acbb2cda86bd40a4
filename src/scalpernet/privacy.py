"""Personal identifiers: masked by content for roles that may not see them and in logs, and
opaque references that name an entity without showing its key."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from cachetools import LRUCache
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from scalpernet.entities import KIND_LABELS

#: Entity kinds whose whole key is a personal identifier, whatever its shape.
PERSONAL_KINDS = frozenset({"id_card", "phone", "patient"})


def mask_id_number(value: str) -> str:
    """``510107199001011234`` → ``510107********1234``: region kept, birth date hidden.

    A shorter value (an ID number typed wrong) keeps its first and last two characters.
    """
    if len(value) <= 6:
        return "*" * len(value)
    if len(value) < 15:
        return value[:2] + "*" * (len(value) - 4) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; other numbers keep their last 4 digits at most."""
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask_key(kind: str, key: str) -> str:
    """An entity key as a viewer without the right to personal data may see it.

    Every key is masked by content (:func:`mask_text`): exports put phones in account ids
    and ID numbers in names. The key of an ID card or a phone, and the ID number of a
    patient key (``<id number>|<name>``), are personal whatever their shape, so what no
    shape rule recognises there (an ID number of 14 digits) is masked whole as well.
    """
    if key.startswith(REF_PREFIX) and _REF_BODY.fullmatch(key[len(REF_PREFIX):]):
        return key  # an opaque reference holds no digit to hide
    if kind == "patient":
        id_number, sep, name = key.partition("|")
        return _mask_whole(id_number, mask_id_number) + sep + mask_text(name)
    if kind == "id_card":
        return _mask_whole(key, mask_id_number)
    if kind == "phone":
        return _mask_whole(key, mask_phone)
    return mask_text(key)


def _mask_whole(value: str, whole: Callable[[str], str]) -> str:
    by_content = mask_text(value)
    return by_content if by_content != value else whole(value)


def mask_uid(value: str) -> str:
    """An `Entity.uid` (``kind:key``) with its key masked; other text masked by content."""
    kind, sep, key = value.partition(":")
    if sep and kind in KIND_LABELS and key:
        return f"{kind}:{mask_key(kind, key)}"
    return mask_text(value)


# -- opaque references -------------------------------------------------------------------
# Analysts see masked ID numbers and phones but must still navigate from one entity to the
# next. An opaque reference stands in for the key: it names the entity exactly, reveals
# nothing of it, and cannot be forged without the keys kept in the data folder.
#
# A reference is the uid under AES-SIV (RFC 5297: deterministic authenticated encryption,
# from `cryptography`), so the same entity always gets the same reference and a changed
# character fails authentication. Its first byte names the key that made it: keys rotate,
# and references made under a retired key stay readable until its grace period ends.
# The body is base32 written in letters only (digits 2-7 as a-f): no reference can ever
# look like, or be changed by the masking of, an ID number or a phone.

REF_PREFIX = "ref_"
_REF_BODY = re.compile(r"[A-Za-f]+")  # base32 with 2-7 written a-f
REF_KEYS_FILE = "ref-keys.json"
_REF_KEY_BYTES = 64  # AES-256-SIV
_REF_AD = b"scalpernet-ref"
_REF_CACHE_SIZE = 100_000
_TO_LETTERS = str.maketrans("234567", "abcdef")
_FROM_LETTERS = str.maketrans("abcdef", "234567")
#: How long references of a retired key stay readable, unless told otherwise.
DEFAULT_REF_GRACE = timedelta(days=30)


@dataclass(frozen=True)
class RefKey:
    """One reference key: its id (the reference's first byte) and until when it decodes."""

    id: int
    secret: bytes
    created_at: datetime
    expires_at: datetime | None = None  # set when a newer key replaces it

    def usable(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class RefKeyring:
    """The keys of a data folder: the newest encodes, every unexpired one decodes."""

    keys: tuple[RefKey, ...]

    @property
    def current(self) -> RefKey:
        return self.keys[-1]

    def to_json(self) -> bytes:
        return orjson.dumps({"keys": [
            {"id": k.id, "secret": base64.b64encode(k.secret).decode("ascii"),
             "created_at": k.created_at.isoformat(),
             "expires_at": k.expires_at.isoformat() if k.expires_at else None}
            for k in self.keys]}, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, raw: bytes) -> RefKeyring:
        data = orjson.loads(raw)
        keys = tuple(RefKey(id=int(k["id"]), secret=base64.b64decode(k["secret"]),
                            created_at=datetime.fromisoformat(k["created_at"]),
                            expires_at=(datetime.fromisoformat(k["expires_at"])
                                        if k.get("expires_at") else None))
                     for k in data["keys"])
        if not keys or any(len(k.secret) != _REF_KEY_BYTES for k in keys):
            raise ValueError("reference keyring holds no key or a key of the wrong size")
        return cls(keys)

    def rotated(self, grace: timedelta, now: datetime | None = None) -> RefKeyring:
        """A new current key; the old one decodes for `grace`, expired ones are dropped."""
        now = now or datetime.now(UTC)
        kept = [k for k in self.keys if k.usable(now)]
        kept[-1] = replace(kept[-1], expires_at=now + grace)
        used = {k.id for k in kept}
        new_id = next(i for i in [*range(kept[-1].id + 1, 256), *range(1, 256)]
                      if i not in used)
        return RefKeyring((*kept, _new_ref_key(new_id, now)))


def _new_ref_key(key_id: int, now: datetime) -> RefKey:
    return RefKey(id=key_id, secret=secrets.token_bytes(_REF_KEY_BYTES), created_at=now)


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, path)


def load_ref_keyring(path: Path) -> RefKeyring:
    """The keyring in `path`, created (mode 0600) with one fresh key if absent."""
    if path.exists():
        return RefKeyring.from_json(path.read_bytes())
    keyring = RefKeyring((_new_ref_key(1, datetime.now(UTC)),))
    _write_private(path, keyring.to_json())
    return keyring


def rotate_ref_keys(path: Path, grace: timedelta = DEFAULT_REF_GRACE) -> RefKeyring:
    """Add a new current key to the keyring in `path`; the old one decodes for `grace`."""
    keyring = load_ref_keyring(path).rotated(grace)
    _write_private(path, keyring.to_json())
    return keyring


def _ref_body(raw: bytes) -> str:
    """The letters of a reference: unpadded base32 with 2-7 written a-f."""
    return base64.b32encode(raw).decode("ascii").rstrip("=").translate(_TO_LETTERS)


class RefCipher:
    """Opaque references of entity uids under the keys of a :class:`RefKeyring`."""

    def __init__(self, keyring: RefKeyring) -> None:
        self.keyring = keyring
        self._current = keyring.current
        self._sivs = {k.id: AESSIV(k.secret) for k in keyring.keys}
        self._cache: LRUCache[str, str] = LRUCache(_REF_CACHE_SIZE)

    def _encode(self, uid_value: str) -> str:
        key_id = self._current.id
        sealed = self._sivs[key_id].encrypt(uid_value.encode("utf-8"),
                                            [_REF_AD, bytes([key_id])])
        return REF_PREFIX + _ref_body(bytes([key_id]) + sealed)

    def encode(self, uid_value: str) -> str:
        """The opaque reference of an entity uid (cached: a page names the same ones often)."""
        ref = self._cache.get(uid_value)
        if ref is None:
            ref = self._cache[uid_value] = self._encode(uid_value)
        return ref

    def decode(self, ref: str, now: datetime | None = None) -> str | None:
        """The uid behind a reference, or None when it is not a genuine, unexpired one."""
        if not ref.startswith(REF_PREFIX) or len(ref) > 2_048:
            return None
        body = ref[len(REF_PREFIX):]
        if not _REF_BODY.fullmatch(body):
            return None
        try:
            raw = base64.b32decode(body.translate(_FROM_LETTERS) + "=" * (-len(body) % 8))
        except (ValueError, binascii.Error):
            return None
        if len(raw) < 18 or _ref_body(raw) != body:  # the unused low bits of the last letter
            return None                                # must be zero: one spelling per ref
        key_id = raw[0]
        key = next((k for k in self.keyring.keys if k.id == key_id), None)
        if key is None or not key.usable(now or datetime.now(UTC)):
            return None
        try:
            plain = self._sivs[key_id].decrypt(raw[1:], [_REF_AD, bytes([key_id])])
            return plain.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            return None


# -- masking by content -------------------------------------------------------------------
# One function decides what of a text is a personal identifier: mask_text. It looks at the
# text, not at the field it came from, because exports put phones in account ids, payer
# accounts and names (``王五13144808824``), ID numbers run into letters
# (``ID500101193907136410``), and people write phones with dots, dashes and spaces
# (``131.4480.8824``, ``+86 131 4480 8824``). Digits may be ASCII or full-width.
_DIGIT = "[0-9\uff10-\uff19]"
_NOT_AFTER_DIGIT = f"(?<!{_DIGIT})"
_NOT_BEFORE_DIGIT = f"(?!{_DIGIT})"
# Between two groups of digits: up to two spaces, one dash or dot, up to two spaces.
_BLANK = "[ \t\u00a0\u3000]{0,2}"
_GAP = f"{_BLANK}[-.\u2010-\u2015\uff0d\uff0e\u00b7]?{_BLANK}"
_CHECK = "[0-9\uff10-\uff19XxＸｘ]"
#: 18-character ID numbers (6-8-4 or 6-4-4-4 groups, or none) and the old 15-digit ones.
_ID_NUMBER = re.compile(
    f"{_NOT_AFTER_DIGIT}({_DIGIT}{{6}}{_GAP}(?:{_DIGIT}{{8}}|{_DIGIT}{{4}}{_GAP}{_DIGIT}{{4}})"
    f"{_GAP}{_DIGIT}{{3}}{_CHECK}|{_DIGIT}{{6}}{_GAP}{_DIGIT}{{6}}{_GAP}{_DIGIT}{{3}})"
    f"{_NOT_BEFORE_DIGIT}")
#: Mobile numbers in 3-4-4 groups (or none), also right after a +86 / 0086 / 86 prefix.
#: Groups other than 3-4-4 are not taken: dotted quads (IP addresses) would be.
_MOBILE = re.compile(
    f"(?:{_NOT_AFTER_DIGIT}|(?<=[+＋]86)|(?<=0086)|(?<=(?<!{_DIGIT})86))"
    f"([1１][3-9３-９]{_DIGIT}{_GAP}{_DIGIT}{{4}}{_GAP}{_DIGIT}{{4}}){_NOT_BEFORE_DIGIT}")
#: Landlines: area code 0xx / 0xxx, then 7 or 8 digits (one gap inside them allowed).
_LANDLINE = re.compile(
    f"{_NOT_AFTER_DIGIT}(0{_DIGIT}{{2,3}}{_GAP}{_DIGIT}{{3,4}}{_GAP}{_DIGIT}{{4}})"
    f"{_NOT_BEFORE_DIGIT}")
#: A run of digits long enough to hold two identifiers glued together.
_LONG_RUN = re.compile(f"{_DIGIT}{{22,}}")
#: A personal uid in text: its key is masked whole, whatever its shape.
_UID_LIKE = re.compile(r"\b(id_card|phone|patient):([^\s,;\"']+)")
#: Left alone: opaque references (letters only) and hex digests (SHA-256 of an upload).
_OPAQUE = re.compile(r"(ref_[A-Za-z]{16,}|(?<![0-9A-Za-z])(?=[0-9a-f]*[a-f])[0-9a-f]{32,}"
                     r"(?![0-9A-Za-z]))")
#: Cheap first look: every rule above needs three digits in a row or a personal uid.
_CANDIDATE = re.compile(f"{_DIGIT}{{3}}|id_card:|phone:|patient:")
_TO_ASCII = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
_NOT_DIGIT = re.compile(r"[^0-9X]")


def _digits(found: str) -> str:
    return _NOT_DIGIT.sub("", found.translate(_TO_ASCII).upper())


def _mask_plain(text: str) -> str:
    text = _UID_LIKE.sub(lambda m: f"{m[1]}:{mask_key(m[1], m[2])}", text)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(_digits(m[1])), text)
    text = _MOBILE.sub(lambda m: mask_phone(_digits(m[1])), text)
    text = _LANDLINE.sub(lambda m: mask_phone(_digits(m[1])), text)
    return _LONG_RUN.sub(lambda m: mask_phone(_digits(m[0])), text)


@lru_cache(maxsize=200_000)
def mask_text(text: str) -> str:
    """`text` with every ID number, phone and personal uid in it masked.

    The one masking rule of the project: keys of every kind, names, free text, error
    messages and log lines all go through it. Cached: answers repeat the same strings.
    """
    if _CANDIDATE.search(text) is None:
        return text
    parts = _OPAQUE.split(text)
    # split with a group: odd indexes are the opaque tokens, kept as they are
    return "".join(part if i % 2 else _mask_plain(part) for i, part in enumerate(parts))


def mask_value(value: Any) -> Any:
    """`mask_text` applied to every string in nested dicts and lists, dict keys included;
    a whole number that reads as an identifier (a phone stored as a number) becomes its
    mask."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_value(k) if isinstance(k, str) else k: mask_value(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) > 99_999_999:
        masked = mask_value(int(value))
        return value if isinstance(masked, int) else masked
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 99_999_999:
        text = str(value)
        masked = mask_text(text)
        return value if masked == text else masked
    return value
