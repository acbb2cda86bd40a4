"""What a page shows of personal identifiers: everything for investigators, masked for analysts.

Keys and free text are masked by content (`scalpernet.privacy.mask_key`, `mask_text`). The
network's own personal keys are also looked for in free text, which catches the ones no
shape rule knows (an ID number of 14 digits, say).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from scalpernet.privacy import PERSONAL_KINDS, mask_key, mask_text, mask_value

#: Shorter keys are not searched for in free text: they would mask unrelated numbers.
_MIN_KNOWN_KEY = 5


class IdentifierMask:
    """Masks keys and free text for one viewer; changes nothing when `masked` is False."""

    def __init__(self, masked: bool, personal: Iterable[tuple[str, str]] = ()) -> None:
        self.masked = masked
        known: dict[str, str] = {}
        if masked:
            for kind, key in personal:
                if kind not in PERSONAL_KINDS:
                    continue
                known[key] = mask_key(kind, key)
                if kind == "patient":  # its ID number also appears on its own
                    id_number = key.partition("|")[0]
                    known[id_number] = mask_key("id_card", id_number)
        # Only keys the content rules miss need a search of their own; longest first, so a
        # patient key is masked whole before the ID number inside it.
        keys = sorted((key for key, shown in known.items()
                       if len(key) >= _MIN_KNOWN_KEY and mask_text(key) != shown),
                      key=len, reverse=True)
        self._known = known
        # Whole keys only: a short key must not mask the start of a longer number.
        self._pattern = (re.compile(rf"(?<![0-9A-Za-z])(?:{'|'.join(map(re.escape, keys))})"
                                    r"(?![0-9A-Za-z])") if keys else None)

    def key(self, kind: str, key: str) -> str:
        """An entity key as this viewer may see it."""
        return mask_key(kind, key) if self.masked else key

    def text(self, text: str) -> str:
        """Free text with the personal identifiers in it masked."""
        if not self.masked:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(lambda m: self._known[m[0]], text)
        return mask_text(text)

    def value(self, value: Any) -> Any:
        """`text` applied to every string (dict keys included) inside nested dicts and lists."""
        if not self.masked:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return mask_value(value)
