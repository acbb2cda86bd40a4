"""Masking of personal identifiers for roles that may not see them, and for logs."""

from __future__ import annotations

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
