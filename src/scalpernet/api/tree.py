"""A network's actors as detection stored them, in tree form, and its member order: read
once per network and analysis run, then served from memory.

Detection (:mod:`scalpernet.detect.actors`) stores each actor with its parent (the actor of
the tier above) and the bookings and payments between them. The tree here is that stored
tree, hung as stored: technician → first level → second levels → patients. Nothing is
re-derived; an actor whose parent is not among the network's actors is *unattached*.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from scalpernet.api.errors import ApiError

if TYPE_CHECKING:
    from scalpernet.api.deps import Ctx

#: Actor tiers from the top of the tree down (an actor always has one of these roles).
ACTOR_TIERS = ("technician", "first_level", "second_level", "patient")
#: Member roles in page order (``none``: in the network, in no scalping role).
MEMBER_ROLES = (*ACTOR_TIERS, "none")
#: Longest the tree's query may run.
TREE_TIMEOUT_S = 20.0


def _json(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return default
    return default if value is None else value


@dataclass(frozen=True)
class ActorRow:
    """One stored actor: what every answer about it starts from."""

    id: str
    role: str
    score: float | None
    parent: str | None
    link: dict[str, Any] | None
    evidence: dict[str, Any]
    identifiers: int

    @classmethod
    def from_record(cls, row: list[Any]) -> ActorRow:
        """From the ``[id, role, score, parent, link, evidence, identifiers]`` rows of
        ``api_network_hierarchy``."""
        actor_id, role, score, parent, link, evidence, identifiers = row
        stored_link = _json(link, {})
        return cls(id=actor_id, role=role, score=score, parent=parent,
                   link=stored_link if isinstance(stored_link, dict) and stored_link else None,
                   evidence=_json(evidence, {}), identifiers=int(identifiers or 0))


@dataclass
class Tree:
    """A network's actor tree and member order, for one analysis run."""

    run_id: str | None
    #: Member uids in page order (tier, score, uid), and per role.
    order: list[str]
    by_role: dict[str, list[str]]
    #: Actors in tier order (tier, score highest first, id), and per role.
    actors: list[ActorRow]
    actors_by_role: dict[str, list[ActorRow]]
    by_id: dict[str, ActorRow]
    #: Actor id -> ids of the actors hung under it, in tier order.
    children: dict[str, list[str]]
    #: Actors at the top: no parent, not a patient.
    roots: list[str]
    #: Non-patient actors whose stored parent is not an actor of the network.
    unattached: list[str]
    #: Patient actors hung under no actor of the network.
    unattached_patients: int
    #: The hierarchy as already serialised JSON, with the actor ids it shows, per
    #: (masked, children_limit): the same for every request until the next run.
    rendered: dict[tuple[bool, int], tuple[orjson.Fragment, list[str]]] = field(
        default_factory=dict)

    def page(self, role: str | None, offset: int, limit: int) -> tuple[int, list[str]]:
        """Members in page order, optionally of one role, and how many there are."""
        chosen = self.order if role is None else self.by_role.get(role, [])
        return len(chosen), chosen[offset:offset + limit]

    def counts(self) -> dict[str, int]:
        """Members per role."""
        return {role: len(members) for role, members in self.by_role.items()}

    def actor_page(self, role: str | None, offset: int, limit: int
                   ) -> tuple[int, list[ActorRow]]:
        """Actors in tier order, optionally of one role, and how many there are."""
        chosen = self.actors if role is None else self.actors_by_role.get(role, [])
        return len(chosen), chosen[offset:offset + limit]


def build_tree(run_id: str | None, members: list[list[str]],
               actors: list[list[Any]]) -> Tree:
    """The tree from `members` (``[uid, role]`` in page order) and `actors` (rows of
    ``api_network_hierarchy``, in tier order), each actor under its stored parent."""
    rows = [ActorRow.from_record(a) for a in actors]
    by_id = {a.id: a for a in rows}
    children: dict[str, list[str]] = defaultdict(list)
    roots, unattached = [], []
    unattached_patients = 0
    for a in rows:  # in tier order, so each list of children is too
        if a.parent is not None and a.parent in by_id and a.parent != a.id:
            children[a.parent].append(a.id)
        elif a.role == "patient":
            unattached_patients += 1
        elif a.parent is None:
            roots.append(a.id)
        else:
            unattached.append(a.id)
    by_role: dict[str, list[str]] = defaultdict(list)
    for member, role in members:
        by_role[role].append(member)
    actors_by_role: dict[str, list[ActorRow]] = defaultdict(list)
    for a in rows:
        actors_by_role[a.role].append(a)
    return Tree(run_id=run_id, order=[member for member, _ in members], by_role=dict(by_role),
                actors=rows, actors_by_role=dict(actors_by_role), by_id=by_id,
                children=dict(children), roots=roots, unattached=unattached,
                unattached_patients=unattached_patients)


class TreeCache:
    """Recently built trees by network id; a tree is reused only for the same analysis run."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._trees: OrderedDict[str, Tree] = OrderedDict()
        self._building: dict[str, asyncio.Future[Tree]] = {}

    async def build_once(self, network_id: str, build: Callable[[], Awaitable[Tree]]) -> Tree:
        """Run `build` for a network unless a build is already under way, then share it:
        fifty clients opening a big network at once cost one build, not fifty."""
        pending = self._building.get(network_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Tree] = asyncio.get_running_loop().create_future()
        self._building[network_id] = future
        try:
            tree = await build()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        finally:
            del self._building[network_id]
        future.set_result(tree)
        self.put(network_id, tree)
        return tree

    def latest(self, network_id: str) -> Tree | None:
        """The tree last built for the network, whichever run it came from."""
        tree = self._trees.get(network_id)
        if tree is not None:
            self._trees.move_to_end(network_id)
        return tree

    def get(self, network_id: str, run_id: str | None) -> Tree | None:
        tree = self._trees.get(network_id)
        if tree is None or tree.run_id != run_id:
            return None
        self._trees.move_to_end(network_id)
        return tree

    def put(self, network_id: str, tree: Tree) -> None:
        self._trees[network_id] = tree
        self._trees.move_to_end(network_id)
        while len(self._trees) > self.size:
            self._trees.popitem(last=False)


async def load_tree(ctx: Ctx, network_id: str) -> Tree:
    """Read and build the tree of a current network (404 when there is none); concurrent
    requests for the same network share one read."""

    async def build() -> Tree:
        records = await ctx.read("api_network_hierarchy", id=network_id,
                                 timeout=TREE_TIMEOUT_S)
        if not records:
            raise ApiError(404, "not_found", f"no current network with id {network_id}")
        record = records[0]
        return await asyncio.to_thread(build_tree, record["run_id"], record["members"],
                                       record["actors"])

    cache: TreeCache = ctx.request.app.state.trees
    return await cache.build_once(network_id, build)


async def current_tree(ctx: Ctx, network_id: str) -> Tree:
    """The tree of a network of the current analysis run, from the cache when it is that
    run's (with ``explain`` read afresh: the query is the point)."""
    if ctx.trace is not None:
        return await load_tree(ctx, network_id)
    cache: TreeCache = ctx.request.app.state.trees
    run_id = await ctx.request.app.state.current_run.id()
    return cache.get(network_id, run_id) or await load_tree(ctx, network_id)
