"""The shapes of stored detection results; `networks --json` and the API speak these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from scalpernet.entities import Kind, Role


class Signal(BaseModel):
    """One measured signal: a name, the number an investigator can check, and what it means."""

    name: str
    value: float
    detail: str = ""


class EntityRef(BaseModel):
    kind: Kind
    key: str


class Member(BaseModel):
    """An entity's place in a network: its role, score and the evidence behind them."""

    kind: Kind
    key: str
    role: Role
    score: float = Field(ge=0.0, le=1.0)
    signals: list[Signal] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)


class Link(BaseModel):
    """A member-to-member edge of the analysis graph (for views and hierarchies)."""

    source: EntityRef
    target: EntityRef
    type: str
    weight: float = 1.0
    registrations: int = 0


class ActorIdentifier(BaseModel):
    """An identifier an actor uses; ``shared`` when another actor of the network uses it too,
    ``operated_by_tool`` for a customer's own account the grabbing tool booked through."""

    kind: Kind
    key: str
    shared: bool = False
    operated_by_tool: bool = False


class Actor(BaseModel):
    """A person behind a network's identifiers: a role, the identifiers, the evidence, and
    its place in the tree (``parent``: the actor of the tier above, ``link``: the bookings
    and payments between them)."""

    id: str
    role: Role
    score: float = Field(ge=0.0, le=1.0)
    identifiers: list[ActorIdentifier] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)
    parent: str | None = None
    link: dict[str, int] = Field(default_factory=dict)


class Network(BaseModel):
    """One detected network (ring), ranked by `risk` in [0, 1]."""

    id: str
    risk: float = Field(ge=0.0, le=1.0)
    size: int
    signals: list[Signal] = Field(default_factory=list)
    members: list[Member] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    hospitals: list[str] = Field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    actors: list[Actor] = Field(default_factory=list)
    #: ``closed``: its bookings all fell before a later run's window; kept as last found.
    status: Literal["active", "closed"] = "active"
    closed_at: datetime | None = None


class AnalysisRun(BaseModel):
    """One `scalpernet analyze`: when, with what parameters, and what it found."""

    id: str
    started_at: datetime
    ended_at: datetime | None = None
    status: str = "complete"
    params: dict[str, Any] = Field(default_factory=dict)
    summary: dict[str, Any] = Field(default_factory=dict)


class NetworksDocument(BaseModel):
    """What `scalpernet networks --json` prints (contracts §4)."""

    run_id: str | None
    networks: list[Network]
