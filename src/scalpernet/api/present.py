"""How entities, registrations and evidence are shown to one caller: full or masked.

Every string of an answer to a masked caller is masked by content where the answer is
serialised (:func:`scalpernet.api.responses.render_json`). What is shown here on top of that
needs to know the field: the key of an ID card or a phone is personal whatever its shape
(:func:`scalpernet.privacy.mask_key`), an ID card's birth date is the hidden part of its
number, and a visit card number is personal as a whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from cachetools import LRUCache

from scalpernet.entities import split_uid
from scalpernet.privacy import RefCipher, mask_key, mask_phone, mask_value

#: Properties an analyst may not see even though the key is masked: an ID card's birth
#: date is the very part of the number the mask hides.
_HIDDEN_FOR_MASKED = {"id_card": frozenset({"birth_date"})}
_REGISTRATION_FREE_TEXT = ("extra",)
_SHOWN_SIZE = 200_000


class ShownCache:
    """How each uid is shown, masked and not, under one reference keyring (one per app)."""

    def __init__(self) -> None:
        self.by_mask: dict[bool, LRUCache[str, dict[str, str]]] = {
            True: LRUCache(_SHOWN_SIZE), False: LRUCache(_SHOWN_SIZE)}


class Presenter:
    """Renders graph values for one caller; ``masked`` for analysts."""

    def __init__(self, refs: RefCipher, *, masked: bool,
                 shown: ShownCache | None = None) -> None:
        self.refs = refs
        self.masked = masked
        self._cache = (shown or ShownCache()).by_mask[masked]

    def key(self, kind: str, key: str) -> str:
        return mask_key(kind, key) if self.masked else key

    def entity(self, uid_value: str, **extra: Any) -> dict[str, Any]:
        """``{kind, key, uid, ref}``: key and uid masked for analysts; ref always usable."""
        base = self._cache.get(uid_value)
        if base is None:
            kind, key = split_uid(uid_value)
            shown = self.key(kind, key)
            base = self._cache[uid_value] = {"kind": kind, "key": shown,
                                             "uid": f"{kind}:{shown}",
                                             "ref": self.refs.encode(uid_value)}
        return {**base, **extra}

    def text(self, value: Any) -> Any:
        """Free text (or nested JSON of it) with ID numbers and phones masked for analysts."""
        return mask_value(value) if self.masked else value

    def properties(self, kind: str, props: dict[str, Any]) -> dict[str, Any]:
        """An entity node's own properties, without key/uid and with hidden ones dropped."""
        hidden = _HIDDEN_FOR_MASKED.get(kind, frozenset()) if self.masked else frozenset()
        out = {k: v for k, v in props.items() if k not in ("key", "uid") and k not in hidden}
        return self.text(out)

    def registration(self, props: dict[str, Any]) -> dict[str, Any]:
        """A registration: unknown export columns parsed from JSON; visit card masked."""
        out = dict(props)
        for name in _REGISTRATION_FREE_TEXT:
            raw = out.get(name)
            if isinstance(raw, str):
                try:
                    out[name] = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    out[name] = raw
        if self.masked and isinstance(out.get("visit_card"), str):
            out["visit_card"] = mask_phone(out["visit_card"])
        return self.text(out)


def instant(parts: list[int | None]) -> datetime | None:
    """A zoned datetime from ``[epoch seconds, nanosecond, offset seconds]`` (None for nulls):
    how queries return booking instants, cheaper than the driver's hydration."""
    seconds, nanosecond, offset = parts
    if seconds is None or nanosecond is None or offset is None:
        return None
    zone = timezone(timedelta(seconds=offset))
    return datetime.fromtimestamp(seconds, zone).replace(microsecond=nanosecond // 1000)
