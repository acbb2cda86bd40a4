"""Request bodies and response shapes of the case routes (for validation and OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scalpernet.api.schemas import EntityOut, Explain
from scalpernet.cases.workflow import Status

Strict = ConfigDict(extra="forbid")
NOTE_CHARS = 4000


def _text(value: str | None) -> str | None:
    """Text as typed, trimmed; blank is refused (a note must say something)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        raise ValueError("must not be blank")
    return text


class CaseOpen(BaseModel):
    model_config = Strict
    network_id: str = Field(min_length=1, max_length=200,
                            description="A network id of the current analysis run.")
    note: str | None = Field(None, max_length=NOTE_CHARS, description="Why it is opened.")

    _trim = field_validator("note")(_text)


class StatusChange(BaseModel):
    model_config = Strict
    status: Literal["under_review", "confirmed", "referred", "dismissed"]
    note: str = Field(min_length=1, max_length=NOTE_CHARS,
                      description="Why: every move of a case says why.")

    _trim = field_validator("note")(_text)


class Assignment(BaseModel):
    model_config = Strict
    assignee: str | None = Field(max_length=100,
                                 description="Who works the case (a name); null: nobody.")
    note: str | None = Field(None, max_length=NOTE_CHARS)

    _trim = field_validator("assignee", "note")(_text)


class Comment(BaseModel):
    model_config = Strict
    text: str = Field(min_length=1, max_length=NOTE_CHARS)

    _trim = field_validator("text")(_text)


class CaseOut(BaseModel):
    network_id: str = Field(description="The network's stable id: the case follows it "
                                        "across analysis runs.")
    status: Status
    next_statuses: list[Status]
    assignee: str | None
    created_at: datetime | None
    updated_at: datetime | None
    opened_run_id: str | None
    confirmed_at: datetime | None
    confirmed_run_id: str | None
    confirmed_size: int | None
    confirmed_risk: float | None


class CaseNetwork(BaseModel):
    id: str
    run_id: str | None
    risk: float | None
    size: int | None
    hospitals: list[str] | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class Actor(BaseModel):
    key_id: str | None
    name: str | None
    role: str | None


class CaseEventOut(BaseModel):
    seq: int
    type: Literal["opened", "status", "assigned", "comment"]
    at: datetime
    by: Actor
    from_: str | None = Field(alias="from")
    to: str | None
    note: str | None


class ChangedMember(EntityOut):
    role_then: str | None
    role_now: str | None


class ChangedMembers(BaseModel):
    total: int
    members: list[ChangedMember]


class NetworkCount(BaseModel):
    network: str
    members: int


class MembershipChanges(BaseModel):
    network_present: bool = Field(description="Whether the network is in the current run.")
    joined: ChangedMembers
    left: ChangedMembers
    role_changed: ChangedMembers
    left_now_in: list[NetworkCount] = Field(description="Current networks that members who "
                                                        "left belong to now.")


class CaseAnswer(BaseModel):
    case: CaseOut
    network: CaseNetwork | None = Field(description="The network in the current run; null "
                                                    "when no current network has this id.")
    history: list[CaseEventOut]


class CaseDetail(CaseAnswer):
    changes: MembershipChanges | None = Field(
        description="Since confirmation (null before): members who joined, left or "
                    "changed role.")
    explain: Explain | None = None


class CaseListItem(CaseOut):
    network: CaseNetwork | None


class CaseList(BaseModel):
    total: int
    limit: int
    offset: int
    cases: list[CaseListItem]


