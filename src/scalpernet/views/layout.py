"""Tiered positions for a network page, computed once so the browser never has to.

The page shows who sits above whom: technicians on the top row, then first-level and
second-level scalpers, then the patients each agent booked for (one block per agent, under
the agent), and the members with no scalping role set apart at the right end of that row.
vis-network's physics keeps a browser busy from a few hundred nodes, so the page is drawn
from these fixed positions instead.

Members are ordered top-down (each row by the mean rank of what it links to above, which
keeps crossings few) and placed bottom-up (each member over the mean of what it links to
below, never closer than ``Spacing.gap`` to its neighbour).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Tier rows from the top; `patient` and `none` members are drawn in blocks, not rows.
UPPER_TIERS = ("technician", "first_level", "second_level")
TIERS = (*UPPER_TIERS, "patient", "none")
_RANK = {role: i for i, role in enumerate(TIERS)}
_LINE = 14  # members of a row per line before it is staggered over more lines
_MAX_LINES = 8


@dataclass(frozen=True)
class Spacing:
    """Distances in vis-network canvas units (pixels at zoom 1)."""

    row: float = 230.0  # between tier rows
    gap: float = 170.0  # least distance between two nodes of a row
    cell_x: float = 130.0  # between members inside a block, across (labels are wide)
    cell_y: float = 60.0  # and down
    block_gap: float = 60.0  # between two blocks
    apart: float = 260.0  # extra distance that sets the `none` members apart


@dataclass
class Group:
    """Members drawn as one block, and collapsible into one node: the patients booked through
    one agent (with their ID cards and phones), or the members with no scalping role."""

    id: str
    role: str  # "patient" or "none"
    agent: int | None  # member index of the agent; None for unattached patients and `none`
    components: list[list[int]]  # linked members kept together, best first
    x: float = 0.0  # the group node, at the top centre of the block
    y: float = 0.0
    offsets: list[tuple[float, float]] = field(default_factory=list)  # per member, from x/y
    width: float = 0.0
    height: float = 0.0

    @property
    def members(self) -> list[int]:
        return [m for component in self.components for m in component]


@dataclass
class Layout:
    """Where every member and group sits, and the tier rows to caption."""

    positions: list[tuple[float, float]]
    groups: list[Group]
    rows: list[tuple[str, float]] = field(default_factory=list)


def group_patients(roles: Sequence[str], scores: Sequence[float],
                   edges: Sequence[tuple[int, int, float]]) -> list[Group]:
    """Put each patient-role member in its agent's group; `none` members in one group.

    Patient-role members linked to each other (a patient, their ID card, their phone) share
    an agent: the upper-tier member they link to, preferring the lowest tier (the
    second-level scalper who booked, over the first-level one who paid), then heavier links.
    """
    neighbours: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b, weight in edges:
        if a != b:
            neighbours[a].append((b, weight))
            neighbours[b].append((a, weight))

    seen: set[int] = set()
    by_agent: dict[int | None, list[list[int]]] = defaultdict(list)
    for start, role in enumerate(roles):
        if role != "patient" or start in seen:
            continue
        component, stack = [], [start]
        seen.add(start)
        while stack:
            node = stack.pop()
            component.append(node)
            for other, _ in neighbours[node]:
                if roles[other] == "patient" and other not in seen:
                    seen.add(other)
                    stack.append(other)
        pull: dict[int, float] = defaultdict(float)
        for node in component:
            for other, weight in neighbours[node]:
                if roles[other] in UPPER_TIERS:
                    pull[other] += weight
        agent = max(pull, key=lambda m: (_RANK[roles[m]], pull[m], -m)) if pull else None
        by_agent[agent].append(sorted(component))

    def best_first(components: list[list[int]]) -> list[list[int]]:
        return sorted(components, key=lambda c: (-max(scores[m] for m in c), c[0]))

    groups = [Group(id=f"g{agent}", role="patient", agent=agent, components=best_first(cs))
              for agent, cs in by_agent.items() if agent is not None]
    if None in by_agent:
        groups.append(Group(id="g-unattached", role="patient", agent=None,
                            components=best_first(by_agent[None])))
    apart = [[i] for i, role in enumerate(roles) if role == "none"]
    if apart:
        groups.append(Group(id="g-none", role="none", agent=None, components=best_first(apart)))
    return groups


def _shape_block(group: Group, sp: Spacing) -> None:
    """Offsets of a group's members: a grid about four times taller than wide, whose rows
    hold whole components when they are all the same size (a patient, ID card, phone)."""
    n = len(group.members)
    sizes = Counter(len(c) for c in group.components)
    unit = min(4, sizes.most_common(1)[0][0]) if sizes else 1
    cols = unit * max(1, round(math.sqrt(n / 8) / unit))
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    group.width = (cols - 1) * sp.cell_x
    group.height = (rows - 1) * sp.cell_y
    group.offsets = [(c * sp.cell_x - group.width / 2, r * sp.cell_y)
                     for r, c in (divmod(j, cols) for j in range(n))]


def _sweep(order: list[int], desired: dict[int, float], gap: float) -> dict[int, float]:
    """x for `order` left to right: each at its desired x where known, `gap` apart at least."""
    if not desired:
        return {m: (i - (len(order) - 1) / 2) * gap for i, m in enumerate(order)}
    first = next(i for i, m in enumerate(order) if m in desired)
    previous = desired[order[first]] - (first + 1) * gap  # those before line up to its left
    xs: dict[int, float] = {}
    for m in order:
        x = max(desired.get(m, previous + gap), previous + gap)
        xs[m] = previous = x
    return xs


def tiered_layout(
    roles: Sequence[str],
    scores: Sequence[float],
    edges: Sequence[tuple[int, int, float]],
    *,
    groups: list[Group] | None = None,
    compact: bool = False,
    spacing: Spacing | None = None,
) -> Layout:
    """Positions for members given by index: `roles`, `scores` and weighted `edges` (a, b, w).

    `groups` defaults to `group_patients`. With `compact`, groups sit as close as single
    nodes (the page draws them collapsed and opens their blocks on demand); otherwise each
    block gets its own room. Deterministic: the same network always gets the same picture.
    """
    sp = spacing or Spacing()
    n = len(roles)
    groups = group_patients(roles, scores, edges) if groups is None else groups
    adjacent: dict[int, set[int]] = defaultdict(set)
    for a, b, _ in edges:
        if a != b:
            adjacent[a].add(b)
            adjacent[b].add(a)
    positions: list[tuple[float, float]] = [(0.0, 0.0)] * n

    # Order the upper rows top-down by the mean rank of their links above.
    rows = {tier: [i for i in range(n) if roles[i] == tier] for tier in UPPER_TIERS}
    rank: dict[int, float] = {}
    for tier in UPPER_TIERS:
        def mean_rank_above(m: int) -> float:
            above = [rank[o] for o in adjacent[m] if o in rank]
            return sum(above) / len(above) if above else math.inf

        rows[tier] = sorted(rows[tier], key=lambda m: (mean_rank_above(m), -scores[m], m))
        for i, m in enumerate(rows[tier]):
            rank[m] = (i + 0.5) / len(rows[tier])
    present = [tier for tier in UPPER_TIERS if rows[tier]]

    # Blocks left to right in their agents' order; unattached patients, then `none`, last.
    def block_order(g: Group) -> tuple[int, float]:
        if g.agent is not None:
            return (0, rank.get(g.agent, 0.0))
        return (1, 0.0) if g.role == "patient" else (2, 0.0)

    cursor = 0.0
    for group in sorted(groups, key=block_order):
        _shape_block(group, sp)
        slot = sp.gap if compact else max(sp.gap, group.width + sp.cell_x + sp.block_gap)
        if group.role == "none":
            cursor += sp.apart
        group.x = cursor + slot / 2
        cursor += slot

    # A long row is drawn as staggered lines (each `gap` wide within its line), and a wide
    # network gets taller rows, so that it does not fit the screen as a thin strip.
    lines = {t: min(_MAX_LINES, math.ceil(len(rows[t]) / _LINE)) for t in present}
    width = max([cursor] + [len(rows[t]) * sp.gap / lines[t] for t in present])
    row = min(max(sp.row, width / 14), 3 * sp.row)
    row_y: dict[str, float] = {}
    block_y = 0.0
    for tier in present:
        row_y[tier] = block_y
        block_y += row + (lines[tier] - 1) * sp.cell_y
    for group in groups:
        group.y = block_y
        for m, (dx, dy) in zip(group.members, group.offsets, strict=True):
            positions[m] = (group.x + dx, group.y + dy)

    # Place the upper rows bottom-up over what they link to below.
    block_of = {g.agent: g.x for g in groups if g.agent is not None}
    placed: dict[int, float] = {}
    for tier in reversed(present):
        desired: dict[int, float] = {}
        for m in rows[tier]:
            below = [placed[o] for o in adjacent[m] if o in placed]
            if m in block_of:
                below.append(block_of[m])
            if below:
                desired[m] = sum(below) / len(below)
        if not desired:  # nothing below links here: centre the row over what is below
            below_xs = list(placed.values()) or [g.x for g in groups] or [0.0]
            centre = (min(below_xs) + max(below_xs)) / 2
            desired = {m: x + centre
                       for m, x in _sweep(rows[tier], {}, sp.gap / lines[tier]).items()}
        xs = _sweep(rows[tier], desired, sp.gap / lines[tier])
        for j, m in enumerate(rows[tier]):
            positions[m] = (xs[m], row_y[tier] + j % lines[tier] * sp.cell_y)
            placed[m] = xs[m]

    captions = [(tier, row_y[tier]) for tier in present]
    if any(g.role == "patient" for g in groups):
        captions.append(("patient", block_y))
    return Layout(positions=positions, groups=groups, rows=captions)


@dataclass
class ChartBlock:
    """The patients of one agent in the org chart: a box that opens into a block of boxes."""

    id: str
    parent: int | None  # actor index of the agent (second level, else first level)
    actors: list[int]  # actor indices of the patients, best first
    x: float = 0.0
    y: float = 0.0
    offsets: list[tuple[float, float]] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


@dataclass
class Chart:
    """Where each actor box and patient block of a network's org chart sits."""

    positions: dict[int, tuple[float, float]]  # actor index → box (upper tiers only)
    blocks: list[ChartBlock]
    rows: list[tuple[str, float]]


_CHART = Spacing(row=200.0, gap=210.0, cell_x=190.0, cell_y=110.0)
_CHART_COLUMNS = 10
#: Boxes an org chart shows before anything is opened.
CHART_BOXES = 20


def _grid(block: ChartBlock, sp: Spacing) -> None:
    columns = min(_CHART_COLUMNS, max(1, math.ceil(math.sqrt(len(block.actors) * 2))))
    block.width = (columns - 1) * sp.cell_x
    block.offsets = [((k % columns) * sp.cell_x - block.width / 2,
                      sp.cell_y * (k // columns)) for k in range(len(block.actors))]
    block.height = sp.cell_y * ((len(block.actors) - 1) // columns)


def actor_chart(roles: Sequence[str], parents: Sequence[int | None],
                scores: Sequence[float], sp: Spacing = _CHART,
                max_boxes: int = CHART_BOXES) -> Chart:
    """The org chart: technicians, first level, second levels on rows (each parent over the
    mean of its children), and each agent's patients as one block under the agent.

    When the second levels and their blocks would make more than `max_boxes` boxes, the
    highest-scored are drawn and the rest wait in one block of their own (id ``sl``) at the
    end of their row; their patients' blocks are drawn only once it is opened.
    """
    by_role: dict[str, list[int]] = defaultdict(list)
    for i, role in enumerate(roles):
        by_role[role].append(i)
    blocks: dict[int | None, ChartBlock] = {}
    for i in sorted(by_role["patient"], key=lambda i: (-scores[i], i)):
        parent = parents[i]
        block = blocks.setdefault(parent, ChartBlock(id=f"pg{len(blocks)}", parent=parent,
                                                     actors=[]))
        block.actors.append(i)
    rows_y = {tier: n * sp.row for n, tier in enumerate((*UPPER_TIERS, "patient"))}
    # Second levels by score; those beyond the budget go into the overflow block.
    ranked = sorted(by_role["second_level"], key=lambda i: (-scores[i], i))
    fixed = len(by_role["technician"]) + len(by_role["first_level"]) + (None in blocks)
    room = max_boxes - fixed
    if 2 * len(ranked) > room:
        keep = max(1, (room - 1) // 2)
        kept, overflow = ranked[:keep], ranked[keep:]
    else:
        kept, overflow = ranked, []
    seconds = sorted(kept, key=lambda i: (parents[i] if parents[i] is not None else -1,
                                          -scores[i], i))
    placed: dict[int, float] = {i: k * sp.gap for k, i in enumerate(seconds)}
    children: dict[int, list[float]] = defaultdict(list)
    for i in seconds:
        if parents[i] is not None:
            children[parents[i]].append(placed[i])
    for tier in ("first_level", "technician"):
        ids = sorted(by_role[tier], key=lambda i: (-scores[i], i))
        desired = {i: (sum(children[i]) / len(children[i]) if children[i] else 0.0)
                   for i in ids}
        order = sorted(ids, key=lambda i: (desired[i], i))
        placed.update(_sweep(order, desired, sp.gap))
        for i in ids:
            if parents[i] is not None:
                children[parents[i]].append(placed[i])
    positions = {i: (placed[i], rows_y[tier]) for tier in UPPER_TIERS
                 for i in by_role[tier] if i in placed}
    out: list[ChartBlock] = []
    if overflow:
        right = max((x for x, _ in positions.values()), default=0.0)
        spill = ChartBlock(id="sl", parent=None, actors=overflow, x=right + sp.gap,
                           y=rows_y["second_level"])
        _grid(spill, sp)
        out.append(spill)
    # Blocks under their agent, in the agent's order, never closer than a gap.
    ordered = sorted(blocks.values(), key=lambda b: (
        positions[b.parent][0] if b.parent in positions else math.inf, b.id))
    desired_x = {n: positions[b.parent][0] for n, b in enumerate(ordered)
                 if b.parent in positions}
    swept = _sweep(list(range(len(ordered))), desired_x, sp.gap)
    for n, block in enumerate(ordered):
        block.x, block.y = swept[n], rows_y["patient"]
        _grid(block, sp)
    out.extend(ordered)
    shift = -sum(x for x, _ in positions.values()) / len(positions) if positions else 0.0
    positions = {i: (x + shift, y) for i, (x, y) in positions.items()}
    for block in out:
        block.x += shift
    rows = [(tier, rows_y[tier]) for tier in (*UPPER_TIERS, "patient") if by_role[tier]]
    return Chart(positions=positions, blocks=out, rows=rows)
