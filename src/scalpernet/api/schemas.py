"""Response shapes for the OpenAPI document.

Routes build plain dicts and answer with orjson (validation on the way out costs half the
throughput); these models document what those dicts hold, and the schemathesis test checks
every answer against them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scalpernet.entities import Kind

Open = ConfigDict(extra="allow")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid_parameter`.")
    message: str = Field(description="What went wrong, for a person.")
    details: list[dict[str, str]] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class EntityOut(BaseModel):
    model_config = Open
    kind: Kind
    key: str = Field(description="The contract key; masked for analysts (ID numbers, phones, "
                                 "patient keys).")
    uid: str = Field(description="`<kind>:<key>`, masked like the key.")
    ref: str = Field(description="Opaque reference: accepted wherever a key is, never reveals "
                                 "it. Analysts navigate with it.")


class Signal(BaseModel):
    model_config = Open
    name: str
    value: float | int | None = None
    detail: str | None = None


class NetworkSummary(BaseModel):
    id: str
    risk: float | None
    size: int | None
    hospitals: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    status: Literal["active", "closed"] = Field(
        "active", description="`closed`: its bookings all fell before the analysis window; "
                              "served as last found.")
    closed_at: datetime | None = Field(None, description="When a closed network closed.")
    run_id: str | None
    signals: Any


class QueryExplained(BaseModel):
    name: str
    cypher: str
    parameters: dict[str, Any]
    elapsed_ms: float


class Explain(BaseModel):
    queries: list[QueryExplained]


class NetworkList(BaseModel):
    run_id: str | None
    total: int
    limit: int
    offset: int
    networks: list[NetworkSummary]
    explain: Explain | None = None


class MemberOut(EntityOut):
    role: str | None
    score: float | None
    signals: Any
    evidence: Any


class ActorLink(BaseModel):
    model_config = Open
    bookings: int | None = Field(None, description="The actor's bookings that touch its "
                                                   "parent's identifiers.")
    payments: int | None = Field(None, description="Those of them the parent paid.")


class ActorOut(BaseModel):
    id: str = Field(description="Stable across analysis runs; `GET /actors/{id}`.")
    role: Literal["technician", "first_level", "second_level", "patient"]
    score: float | None
    identifiers: int = Field(description="How many identifiers the actor uses.")
    parent: str | None = Field(description="The actor of the tier above.")
    link: ActorLink | None = Field(description="The bookings and payments linking the actor "
                                               "to its parent.")
    evidence: dict[str, Any] = Field(description="As detection stored it: bookings, "
                                                 "customers, payments, machine_speed, "
                                                 "within_seconds, washed, first_seen, "
                                                 "last_seen, identifiers.")


class ActorTier(BaseModel):
    role: str
    count: int
    top: list[ActorOut] = Field(description="The tier's top actors, highest score first.")


class ActorTiers(BaseModel):
    total: int
    top_limit: int
    tiers: list[ActorTier]


class ActorNode(ActorOut):
    children: list[ActorNode]
    children_total: int = Field(description="Children in all; at most `children_limit` "
                                            "are shown.")


class TierCount(BaseModel):
    role: str
    count: int


class Hierarchy(BaseModel):
    tiers: list[TierCount] = Field(description="Members (identifiers) per role.")
    children_limit: int
    tree: list[ActorNode] = Field(description="The actor tree as detection stored it: "
                                              "actors with no parent at the root "
                                              "(the technician), each actor under its "
                                              "parent.")
    unattached: list[ActorNode] = Field(description="Non-patient actors whose parent is "
                                                    "not among the network's actors.")
    unattached_patients: int = Field(description="Patient actors under no actor.")


class NetworkDetail(NetworkSummary):
    actors: ActorTiers
    hierarchy: Hierarchy
    members_total: int
    members_limit: int
    members_offset: int
    members: list[MemberOut]
    explain: Explain | None = None


class NetworkActors(BaseModel):
    network: str
    run_id: str | None
    role: str | None
    total: int
    limit: int
    offset: int
    tiers: list[TierCount] = Field(description="Actors per tier.")
    actors: list[ActorOut]
    explain: Explain | None = None


class EntityWithProperties(EntityOut):
    properties: dict[str, Any]


class HospitalCount(BaseModel):
    hospital: str
    registrations: int


class StatusCount(BaseModel):
    status: str
    registrations: int


class LatencyStats(BaseModel):
    count: int
    min: float | None
    p10: float | None
    p50: float | None
    p90: float | None
    max: float | None
    mean: float | None
    under_1s: int


class RegistrationStats(BaseModel):
    total: int
    first_booked_at: datetime | None
    last_booked_at: datetime | None
    departments: int
    doctors: int
    hospitals: list[HospitalCount]
    statuses: list[StatusCount]
    latency_ms: LatencyStats


class Flag(BaseModel):
    name: str
    detail: str


class MembershipOut(BaseModel):
    network: str
    risk: float | None
    role: str | None
    score: float | None
    signals: Any
    evidence: Any


class EntitySummary(BaseModel):
    entity: EntityWithProperties
    registrations: RegistrationStats
    flags: list[Flag]
    networks: list[MembershipOut]
    explain: Explain | None = None


class ActorIdentifierOut(EntityOut):
    shared: bool = Field(description="Another actor of the network uses it too.")
    operated_by_tool: bool = Field(description="A customer's own account the grabbing tool "
                                               "booked through.")
    role: str | None = Field(description="Its role as a member of the network.")
    score: float | None


class DoctorCount(BaseModel):
    hospital: str | None
    doctor: str
    registrations: int


class Payments(BaseModel):
    paid: int = Field(description="Bookings with a payer.")
    payers: int = Field(description="Distinct payers of those bookings.")
    by_own_payers: int = Field(description="Bookings paid by one of the actor's own payer "
                                           "accounts.")
    fee_yuan: float = Field(description="Fees of the paid bookings.")


class ActorBookings(BaseModel):
    total: int
    first_booked_at: datetime | None
    last_booked_at: datetime | None
    departments: int
    doctors: int
    hospitals: list[HospitalCount]
    top_doctors: list[DoctorCount]
    statuses: list[StatusCount]
    latency_ms: LatencyStats = Field(description="The delay after release (booked − "
                                                 "released).")
    payments: Payments


class ActorNetwork(BaseModel):
    id: str
    risk: float | None
    size: int | None


class ActorBrief(BaseModel):
    id: str
    role: str
    score: float | None


class ActorDetail(BaseModel):
    actor: ActorOut
    run_id: str
    network: ActorNetwork
    parent: ActorBrief | None
    children: list[TierCount] = Field(description="Actors hung under this one, per role.")
    identifiers_total: int
    identifiers_limit: int
    identifiers_offset: int
    identifiers: list[ActorIdentifierOut]
    bookings: ActorBookings = Field(description="Every registration through one of the "
                                                "actor's identifiers (an ID card's: those "
                                                "of its patients).")
    explain: Explain | None = None


class ScanInfo(BaseModel):
    total: int
    scanned: int
    complete: bool


class TypeCount(BaseModel):
    type: str
    entities: int
    registrations: int


class NeighbourOut(EntityOut):
    type: str
    shared_registrations: int
    first_booked_at: datetime | None
    last_booked_at: datetime | None


class Neighbourhood(BaseModel):
    entity: EntityOut
    registrations: ScanInfo
    counts: list[TypeCount]
    neighbours: list[NeighbourOut]
    truncated: bool
    explain: Explain | None = None


class LinkedEntity(EntityOut):
    type: str


class RegistrationOut(BaseModel):
    model_config = Open
    key: str | None = None
    registration_id: str | None = None
    hospital: str | None = None
    booked_at: datetime | None = None
    status: str | None = None
    entities: list[LinkedEntity]


class Timeline(BaseModel):
    entity: EntityOut
    total: int
    limit: int
    offset: int
    since: datetime | None
    until: datetime | None
    order: Literal["asc", "desc"]
    registrations: list[RegistrationOut]
    explain: Explain | None = None


class PathNode(BaseModel):
    model_config = Open
    type: Literal["entity", "registration"]


class PathRelationship(BaseModel):
    type: str
    from_: int = Field(alias="from")
    to: int


class PathOut(BaseModel):
    length: int
    nodes: list[PathNode]
    relationships: list[PathRelationship]


class Paths(BaseModel):
    source: EntityOut
    target: EntityOut
    max_hops: int
    types: list[str]
    paths: list[PathOut]
    truncated: bool
    explain: Explain | None = None


class SearchHit(EntityOut):
    matched: Literal["key", "name", "ref"]
    name: str | None


class SearchOut(BaseModel):
    q: str
    mode: Literal["exact", "prefix"]
    kinds: list[str]
    restricted_kinds: list[str] = Field(description="Kinds left out of a prefix search for "
                                                    "this role (analysts: personal kinds).")
    results: list[SearchHit]
    truncated: bool
    explain: Explain | None = None


class RunsOut(BaseModel):
    total: int
    limit: int
    offset: int
    runs: list[dict[str, Any]]


class AuditEntry(BaseModel):
    model_config = Open
    time: str
    key_id: str | None
    role: str | None
    method: str
    route: str
    status: int
    outcome: str
    params: dict[str, Any]
    entities: list[str]


class AuditOut(BaseModel):
    limit: int
    offset: int
    entries: list[AuditEntry]


class UploadOut(BaseModel):
    stored_as: str
    bytes: int
    sha256: str
    marker: str


class Neo4jHealth(BaseModel):
    reachable: bool
    latency_ms: float | None


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    neo4j: Neo4jHealth


ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def responses(model: type[BaseModel] | None, *codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route: its 200 model and the JSON error shape for `codes`
    (JSON even on a route that answers HTML when it succeeds)."""
    out: dict[int | str, dict[str, Any]] = {}
    if model is not None:
        out[200] = {"model": model}
    for code in codes:
        out[code] = {"model": ErrorOut} if model is not None else {"content": ERROR_CONTENT}
    return out
