"""Tiered layout: technicians on top, patients in blocks under their agent, `none` apart."""

from __future__ import annotations

import itertools
import math

from scalpernet.views.layout import Spacing, group_patients, tiered_layout
from scalpernet.views.sample import sample_network

#     0 technician ── 1 first_level ── 2 second_level ── 4 patient ── 5 id_card (patient)
#                                    └ 3 second_level ── 6 patient
#     7 none (linked to the technician's IP), 8 patient linked to nobody above
ROLES = ["technician", "first_level", "second_level", "second_level", "patient", "patient",
         "patient", "none", "patient"]
SCORES = [0.99, 0.9, 0.7, 0.6, 0.3, 0.2, 0.3, 0.01, 0.1]
EDGES = [(0, 1, 5.0), (1, 2, 3.0), (1, 3, 2.0), (2, 4, 1.0), (4, 5, 1.0), (3, 6, 1.0),
         (7, 0, 1.0), (1, 4, 0.5)]


def test_rows_go_down_the_hierarchy() -> None:
    layout = tiered_layout(ROLES, SCORES, EDGES)
    y = [p[1] for p in layout.positions]
    assert y[0] < y[1] < y[2] == y[3] < y[4]
    assert [tier for tier, _ in layout.rows] == ["technician", "first_level", "second_level",
                                                 "patient"]


def test_patients_follow_the_agent_who_booked_for_them() -> None:
    groups = {g.id: g for g in group_patients(ROLES, SCORES, EDGES)}
    # Patient 4 links to the first-level payer too, but its second-level agent booked it;
    # its ID card (5) goes with it.
    assert groups["g2"].members == [4, 5]
    assert groups["g3"].members == [6]
    assert groups["g-unattached"].members == [8]
    assert groups["g-none"].members == [7] and groups["g-none"].role == "none"
    layout = tiered_layout(ROLES, SCORES, EDGES)
    x = [p[0] for p in layout.positions]
    assert x[2] < x[3]
    assert abs(x[4] - x[2]) < abs(x[4] - x[3])  # under its own agent, not the other one


def test_members_without_a_role_are_set_apart_to_the_right() -> None:
    layout = tiered_layout(ROLES, SCORES, EDGES)
    x_none = layout.positions[7][0]
    others = [p[0] for i, p in enumerate(layout.positions) if ROLES[i] != "none"]
    assert x_none - max(others) >= Spacing().apart


def test_no_two_members_overlap_in_a_large_network() -> None:
    net = sample_network(600)
    index = {(m.kind, m.key): i for i, m in enumerate(net.members)}
    edges = [(index[(lk.source.kind, lk.source.key)], index[(lk.target.kind, lk.target.key)],
              lk.weight) for lk in net.links]
    roles = [m.role for m in net.members]
    layout = tiered_layout(roles, [m.score for m in net.members], edges)
    closest = min(math.dist(a, b) for a, b in itertools.combinations(layout.positions, 2))
    assert closest >= Spacing().cell_y - 1e-6
    # Every upper row keeps its gap.
    for tier in ("first_level", "second_level"):
        xs = sorted(layout.positions[i][0] for i, r in enumerate(roles) if r == tier)
        assert min(b - a for a, b in itertools.pairwise(xs)) >= Spacing().gap
    assert tiered_layout(roles, [m.score for m in net.members], edges).positions \
        == layout.positions  # deterministic


def test_compact_layout_packs_groups_like_single_nodes() -> None:
    net = sample_network(600)
    index = {(m.kind, m.key): i for i, m in enumerate(net.members)}
    edges = [(index[(lk.source.kind, lk.source.key)], index[(lk.target.kind, lk.target.key)],
              lk.weight) for lk in net.links]
    roles, scores = [m.role for m in net.members], [m.score for m in net.members]
    wide = tiered_layout(roles, scores, edges)
    compact = tiered_layout(roles, scores, edges, compact=True)
    patient_xs = sorted(g.x for g in compact.groups if g.role == "patient")
    assert {round(b - a) for a, b in itertools.pairwise(patient_xs)} == {Spacing().gap}
    width = max(g.x for g in wide.groups) - min(g.x for g in wide.groups)
    assert max(patient_xs) - min(patient_xs) < width / 2
    # Blocks keep their shape: members' offsets from the group node are the same.
    assert [g.offsets for g in compact.groups] == [g.offsets for g in wide.groups]


def test_an_empty_network_has_an_empty_layout() -> None:
    layout = tiered_layout([], [], [])
    assert layout.positions == [] and layout.groups == [] and layout.rows == []


def test_a_long_row_is_staggered_over_lines() -> None:
    roles, scores = ["second_level"] * 400, [i / 400 for i in range(400)]
    layout = tiered_layout(roles, scores, [])
    xs = [p[0] for p in layout.positions]
    lines = {p[1] for p in layout.positions}
    assert len(lines) == 8
    assert max(xs) - min(xs) < 400 * Spacing().gap / 7
    closest = min(math.dist(a, b) for a, b in itertools.combinations(layout.positions, 2))
    assert closest >= Spacing().cell_y - 1e-6
    for y in lines:  # within a line, labels keep their room
        line = sorted(x for x, y2 in layout.positions if y2 == y)
        assert min(b - a for a, b in itertools.pairwise(line)) >= Spacing().gap - 1e-6


def test_the_org_chart_puts_parents_over_children_and_patients_in_blocks_under_agents() -> None:
    from scalpernet.views.layout import actor_chart

    # 0 technician → 1 first level → 2, 3 second levels → patients 4, 5 (of 2), 6 (of 3)
    roles = ["technician", "first_level", "second_level", "second_level", "patient",
             "patient", "patient"]
    parents = [None, 0, 1, 1, 2, 2, 3]
    chart = actor_chart(roles, parents, [0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1])
    xs = {i: chart.positions[i][0] for i in range(4)}
    ys = {i: chart.positions[i][1] for i in range(4)}
    assert ys[0] < ys[1] < ys[2] == ys[3]
    assert math.isclose(xs[1], (xs[2] + xs[3]) / 2) and math.isclose(xs[0], xs[1])
    blocks = {b.parent: b for b in chart.blocks}
    assert blocks[2].actors == [4, 5] and blocks[3].actors == [6]
    assert blocks[2].x == xs[2] and blocks[2].y > ys[2]
    assert len(blocks[2].offsets) == 2
    assert [tier for tier, _ in chart.rows] == ["technician", "first_level", "second_level",
                                                "patient"]


def test_an_org_chart_with_many_second_levels_keeps_to_its_box_budget() -> None:
    from scalpernet.views.layout import actor_chart

    n = 40
    roles = ["technician", "first_level"] + ["second_level"] * n + ["patient"] * n
    parents = [None, 0] + [1] * n + [2 + k for k in range(n)]
    scores = [0.9, 0.8] + [k / 100 for k in range(n)] + [0.1] * n
    chart = actor_chart(roles, parents, scores, max_boxes=20)
    drawn = [i for i in chart.positions if roles[i] == "second_level"]
    spill = next(b for b in chart.blocks if b.id == "sl")
    shown_blocks = [b for b in chart.blocks if b.id != "sl" and b.parent in chart.positions]
    assert 2 + len(drawn) + 1 + len(shown_blocks) <= 20
    assert sorted(drawn + spill.actors) == list(range(2, 2 + n))
    assert min(scores[i] for i in drawn) > max(scores[i] for i in spill.actors)
