"""Entity kinds of the contract, their Neo4j labels and the `uid` that finds any of them."""

from __future__ import annotations

from typing import Literal

Kind = Literal["id_card", "phone", "ip", "payer", "escort_agent", "account", "device", "patient"]
Role = Literal["technician", "first_level", "second_level", "patient", "none"]

KIND_LABELS: dict[str, str] = {
    "id_card": "IDCard",
    "phone": "Phone",
    "ip": "IP",
    "payer": "Payer",
    "escort_agent": "EscortAgent",
    "account": "Account",
    "device": "Device",
    "patient": "Patient",
}
LABEL_KINDS: dict[str, str] = {label: kind for kind, label in KIND_LABELS.items()}
ROLES: tuple[str, ...] = ("technician", "first_level", "second_level", "patient", "none")


def uid(kind: str, key: str) -> str:
    """The `Entity.uid` of an entity: ``'<kind>:<key>'``."""
    if kind not in KIND_LABELS:
        raise ValueError(f"unknown entity kind {kind!r}")
    return f"{kind}:{key}"


def split_uid(value: str) -> tuple[str, str]:
    """Inverse of :func:`uid`."""
    kind, _, key = value.partition(":")
    if kind not in KIND_LABELS or not key:
        raise ValueError(f"not an entity uid: {value!r}")
    return kind, key
