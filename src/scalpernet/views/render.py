"""Interactive network pages for analysts, complete in one HTML file that works offline.

A page carries its scripts and styles inline (the vendored vis-network, see
``assets/vis-network/README.md``) and asks nothing of any server: it opens the same from
the API, from a file share or from a USB stick on an intranet without internet. Its
Content-Security-Policy forbids every request and every script but its own.

Data from hospital exports can hold markup, so nothing from a network is ever parsed as HTML:
headings are escaped here, and the graph's data travels as JSON that the page's script turns
into text nodes (tooltips included: vis-network shows a string `title` as markup in some
versions, so tooltips are DOM elements built with ``textContent``).

The graph is built with pyvis (nodes, edges, options) and drawn by the page's own template,
since pyvis' templates load vis-network and Bootstrap from CDNs.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import quote

import orjson
from pyvis.network import Network as PyvisNetwork

from scalpernet.entities import uid
from scalpernet.locale import signal_detail
from scalpernet.results.models import Actor, Member, Network, Signal
from scalpernet.views.layout import (
    UPPER_TIERS,
    Group,
    Layout,
    actor_chart,
    group_patients,
    tiered_layout,
)
from scalpernet.views.masking import IdentifierMask
from scalpernet.views.strings import DEFAULT_LANGUAGE, LANGUAGES, SCRIPT, words

#: Times are shown in China Standard Time, where the hospitals are, with the zone named.
DISPLAY_TZ = timezone(timedelta(hours=8))
DISPLAY_TZ_NAME = "UTC+8"


@dataclass(frozen=True)
class Served:
    """A page served by the API to a signed-in browser: links to the overview and sign-out,
    and the opaque reference of each member for the page's reads of the JSON API."""

    overview: str = "/ui/networks"
    logout: str = "/ui/logout"
    cases: str = "/ui/cases"  # posting a network id there opens (or finds) its case
    refs: Mapping[str, str] = field(default_factory=dict)  # member uid → reference

#: Role → colour; colours stay apart for the common kinds of colour blindness.
ROLE_COLOURS: dict[str, str] = {
    "technician": "#b91c1c",
    "first_level": "#ea580c",
    "second_level": "#ca8a04",
    "patient": "#2563eb",
    "none": "#9ca3af",
}
#: Kind → (vis-network shape, legend symbol, dashed border).
KIND_SHAPES: dict[str, tuple[str, str, bool]] = {
    "ip": ("triangle", "▲", False),
    "payer": ("star", "★", False),
    "escort_agent": ("hexagon", "⬢", False),
    "account": ("triangleDown", "▼", False),
    "device": ("dot", "◌", True),
    "phone": ("diamond", "◆", False),
    "id_card": ("square", "■", False),
    "patient": ("dot", "●", False),
}
_LABEL_CHARS = 20
_EVIDENCE_CHARS = 2_000  # per evidence value: keeps a 2,000-member page a few MB at most
_ROLE_ORDER = {role: i for i, role in enumerate((*UPPER_TIERS, "patient", "none"))}


@cache
def _asset(name: str) -> str:
    return (resources.files("scalpernet.views") / "assets" / name).read_text(encoding="utf-8")


@cache
def _vis_network_js() -> str:
    """The vendored vis-network (its standalone build injects its own styles), without the
    source-map comment: developer tools would request the map from the page's server."""
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n",
                  _asset("vis-network/vis-network.min.js"))


def _template(name: str) -> Template:
    return Template(_asset(name))


def _e(value: object) -> str:
    """Text for HTML element content or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _json_for_script(value: Any) -> str:
    """JSON that cannot end its <script> element nor open a comment or markup inside it."""
    raw = orjson.dumps(value).decode()
    return (raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _csp(scripts: Sequence[str], *, served: bool = False) -> str:
    """A policy that runs exactly the page's own scripts and lets nothing be fetched; a page
    served by the API may also read the API and post its sign-out form there."""
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
              for s in scripts]
    reach = "connect-src 'self'; form-action 'self'" if served else "form-action 'none'"
    return (f"default-src 'none'; script-src {' '.join(hashes) or repr('none')}; "
            f"style-src 'unsafe-inline'; img-src data:; base-uri 'none'; {reach}")


def _number(value: float) -> str:
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _evidence_text(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        text = ", ".join(str(v) for v in value)
        if len(value) > 1:
            text = f"({len(value)}) {text}"
    else:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return _clip(text, _EVIDENCE_CHARS)


def _shown_key(member: Member, mask: IdentifierMask) -> str:
    return mask.key(member.kind, member.key)


def _label(member: Member, mask: IdentifierMask) -> str:
    key = _shown_key(member, mask)
    if member.kind == "patient":  # `<id number>|<name>`: the name says most
        key = key.partition("|")[2] or key
    return _clip(key.strip() or "(blank)", _LABEL_CHARS)


def _signal_rows(signals: Sequence[Signal], mask: IdentifierMask,
                 lang: str) -> list[list[str]]:
    """Name, value and explanation (in `lang`) of each signal, masked by content."""
    return [[mask.text(s.name), mask.text(_number(s.value)),
             mask.text(signal_detail(s.name, s.detail, lang))] for s in signals]


def _member_info(member: Member, mask: IdentifierMask, w: dict[str, str],
                 t: dict[str, str], lang: str) -> dict[str, Any]:
    evidence = mask.value(member.evidence)
    return {
        "title": f"{w['kind.' + member.kind]} · {_label(member, mask)}",
        "sub": f"{member.kind}:{_shown_key(member, mask)}",
        "facts": [[t["role"], w["role." + member.role]], [t["score"], f"{member.score:.2f}"]],
        "signals": _signal_rows(member.signals, mask, lang),
        "evidence": [[str(k), _evidence_text(v)] for k, v in evidence.items()],
    }


@dataclass
class _Plan:
    """Which members are drawn at first, which wait in collapsed groups, which are left out."""

    collapsed: set[str]  # group ids drawn as one node
    dropped: set[int]  # member indices left out of the page
    notice: list[str]


def _plan(members: Sequence[Member], groups: Sequence[Group], max_nodes: int,
          w: dict[str, str]) -> _Plan:
    """Collapse patient groups when the network is larger than `max_nodes`; then, if the
    upper tiers alone are still too many, keep the highest-ranked members and say so."""
    total = len(members)
    if total <= max_nodes:
        return _Plan(collapsed=set(), dropped=set(), notice=[])
    collapsed = {g.id for g in groups if len(g.members) > 1}
    by_agent: dict[int, Group] = {g.agent: g for g in groups if g.agent is not None}
    budget = max_nodes - sum(
        1 if g.id in collapsed else len(g.members) for g in groups if g.agent is None)
    upper = sorted((i for i, m in enumerate(members) if m.role in UPPER_TIERS),
                   key=lambda i: (_ROLE_ORDER[members[i].role], -members[i].score, i))
    kept: set[int] = set()
    for i in upper:
        cost = 1 + (1 if i in by_agent else 0)
        if cost > budget:
            break
        kept.add(i)
        budget -= cost
    dropped = {i for i in upper if i not in kept}
    for agent, group in by_agent.items():
        if agent in dropped:
            dropped.update(group.members)
    notice = []
    if collapsed:
        notice.append(w["large"])
    if dropped:
        notice.append(w["dropped"].format(n=len(dropped), total=total, max=max_nodes))
    return _Plan(collapsed=collapsed, dropped=dropped, notice=notice)


def _node_colour(role: str, light: bool = False) -> dict[str, Any]:
    colour = ROLE_COLOURS[role]
    fill = colour + "33" if light else colour
    return {"background": fill, "border": colour,
            "highlight": {"background": fill, "border": "#111827"},
            "hover": {"background": fill, "border": "#111827"}}


def _when(value: datetime | None) -> str:
    """A time for people: China Standard Time, minutes, the zone named."""
    if value is None:
        return "?"
    if value.tzinfo is not None:
        value = value.astimezone(DISPLAY_TZ)
    return f"{value:%Y-%m-%d %H:%M} {DISPLAY_TZ_NAME}"


def _epoch_ms(value: Any) -> int | None:
    """Milliseconds since the epoch from stored evidence: a number, or ISO 8601 text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    return None


def _actor_span(evidence: dict[str, Any]) -> tuple[int | None, int | None]:
    """An actor's first and last booking (ms), as detection stores them in the evidence."""
    return (_epoch_ms(evidence.get("first_seen", evidence.get("first_ms"))),
            _epoch_ms(evidence.get("last_seen", evidence.get("last_ms"))))


def _when_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    return _when(datetime.fromtimestamp(ms / 1000, tz=DISPLAY_TZ))


def _build_graph(network: Network, mask: IdentifierMask, layout: Layout, plan: _Plan,
                 physics: bool, w: dict[str, str], t: dict[str, str],
                 served: Served | None, lang: str) -> tuple[PyvisNetwork, dict[str, Any]]:
    """The vis-network data as a pyvis graph, plus what the page's script needs besides."""
    members = network.members
    graph = PyvisNetwork(directed=True)
    info: dict[str, Any] = {}
    index_data: dict[str, Any] = {}
    group_of: dict[int, str] = {}
    groups: dict[str, Any] = {}
    for group in layout.groups:
        for i in group.members:
            group_of[i] = group.id

    def node_id(i: int) -> str:
        return f"m{i}"

    for i, member in enumerate(members):
        if i in plan.dropped:
            continue
        shape, _, dashed = KIND_SHAPES[member.kind]
        x, y = layout.positions[i]
        hidden = group_of.get(i) in plan.collapsed
        label = _label(member, mask)
        graph.add_node(
            node_id(i), label=label, shape=shape,
            color=_node_colour(member.role), size=round(9 + 21 * member.score, 1),
            x=round(x, 1), y=round(y, 1), hidden=hidden, physics=not hidden,
            shapeProperties={"borderDashes": [4, 3] if dashed else False},
        )
        info[node_id(i)] = _member_info(member, mask, w, t, lang)
        entry = {"kind": member.kind, "role": member.role, "score": round(member.score, 3),
                 "label": label, "key": _shown_key(member, mask)}
        if served is not None:
            entry["ref"] = served.refs.get(uid(member.kind, member.key))
        index_data[node_id(i)] = entry

    for group in layout.groups:
        if group.agent is not None and group.agent in plan.dropped:
            continue
        shown = [node_id(i) for i in group.members]
        agent = _label(members[group.agent], mask) if group.agent is not None else None
        if group.role == "none":
            short = t["without_role"].format(n=len(shown))
            caption = short
        else:
            # One patient comes with their ID card and phone: count people, not members.
            people = sum(1 for i in group.members if members[i].kind == "patient")
            short = t["patients"].format(n=people or len(group.components))
            caption = (t["group_of"].format(n=people or len(group.components), agent=agent)
                       if agent else t["no_agent"].format(n=people or len(group.components)))
        groups[group.id] = {"members": shown, "caption": caption,
                            "collapsible": group.id in plan.collapsed}
        if group.id not in plan.collapsed:
            continue
        groups[group.id].update(
            x=round(group.x, 1), y=round(group.y, 1), width=group.width, height=group.height,
            offsets=[[round(dx, 1), round(dy, 1)] for dx, dy in group.offsets])
        graph.add_node(group.id, label=f"+ {short}", shape="box",
                       color=_node_colour(group.role, light=True), x=round(group.x, 1),
                       y=round(group.y, 1), physics=True,
                       font={"size": 16, "color": "#111827"}, margin=8)
        top = max((members[i] for i in group.members), key=lambda m: m.score)
        info[group.id] = {
            "title": caption,
            "sub": t["open"],
            "facts": [[t["members"], str(len(shown))], [t["highest"], f"{top.score:.2f}"]],
            "signals": [], "evidence": [],
        }

    index = {(m.kind, m.key): i for i, m in enumerate(members)}
    aggregated: Counter[tuple[str, str, str]] = Counter()
    edge_info: dict[str, Any] = {}
    drawn = 0
    for link in network.links:
        a = index.get((link.source.kind, link.source.key))
        b = index.get((link.target.kind, link.target.key))
        if a is None or b is None or a in plan.dropped or b in plan.dropped or a == b:
            continue
        rep_a = group_of[a] if group_of.get(a) in plan.collapsed else node_id(a)
        rep_b = group_of[b] if group_of.get(b) in plan.collapsed else node_id(b)
        edge_id = f"e{drawn}"
        drawn += 1
        hidden = rep_a != node_id(a) or rep_b != node_id(b)
        same_tier = link.type == "same_tier" or (link.registrations == 0 and not link.weight)
        graph.add_edge(node_id(a), node_id(b), id=edge_id,
                       label=t["same_tier"] if same_tier else _clip(link.type, 32),
                       hidden=hidden, physics=not hidden, dashes=same_tier,
                       width=round(1 + math.log2(1 + link.registrations) / 2, 2))
        edge_info[edge_id] = ([[t["link"], t["same_tier"]]] if same_tier else
                              [[t["link"], link.type],
                               [t["registrations"], str(link.registrations)],
                               [t["weight"], _number(link.weight)]])
        if (rep_a, rep_b) != (node_id(a), node_id(b)) and rep_a != rep_b:
            aggregated[(rep_a, rep_b, link.type)] += 1
    for n, ((rep_a, rep_b, kind), count) in enumerate(sorted(aggregated.items())):
        edge_id = f"a{n}"
        graph.add_edge(rep_a, rep_b, id=edge_id, dashes=True,
                       label=_clip(kind, 32) + (f" ×{count}" if count > 1 else ""),
                       width=round(1 + math.log2(1 + count) / 2, 2))
        edge_info[edge_id] = [[t["link"], kind], [t["members"], str(count)]]

    chart = _add_chart(graph, network, mask, index, plan, info, edge_info, w, t)
    visible = sum(1 for n in graph.nodes if not n.get("hidden"))
    graph.options = {
        "autoResize": True,
        "physics": {
            "enabled": physics,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000, "springLength": 150,
                          "avoidOverlap": 0.3},
            # Brief stabilisation only: the page turns physics off when it is done, and
            # after a few seconds whatever happens (PHYSICS_MS in the page's script).
            "stabilization": {"enabled": physics, "iterations": 150 if visible > 300 else 300,
                              "updateInterval": 50, "fit": True},
        },
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "interaction": {"hover": True, "tooltipDelay": 200, "navigationButtons": False,
                        "keyboard": {"enabled": True, "bindToWindow": False},
                        "multiselect": False,
                        "hideEdgesOnDrag": visible > 300, "hideEdgesOnZoom": visible > 600},
        "nodes": {"font": {"size": 14, "face": "sans-serif", "color": "#111827",
                           "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "borderWidth": 1.5,
                  # Labels stay legible at the opening zoom of a large chart.
                  "scaling": {"label": {"enabled": True, "min": 12, "max": 22,
                                        "drawThreshold": 4}}},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
                  "color": {"color": "#94a3b8", "highlight": "#111827", "hover": "#334155"},
                  "font": {"size": 11, "align": "middle", "color": "#475569",
                           "strokeWidth": 3, "strokeColor": "#ffffff"}},
    }
    extra = {
        "info": info,
        "edgeInfo": edge_info,
        "groups": groups,
        "rows": [[w["role." + tier] if tier != "none" else w["role.none"], y]
                 for tier, y in layout.rows],
        "apart": next(([w["role.none"], g.x, g.y] for g in layout.groups
                       if g.role == "none"), None),
        "physics": physics,
        "total": len(members),
        "members": index_data,
        "chart": chart,
    }
    return graph, extra


def _actor_label(actor: Actor, members: Sequence[Member], index: dict[tuple[str, str], int],
                 mask: IdentifierMask, w: dict[str, str], t: dict[str, str]) -> str:
    # A patient is best named by the patient record (it carries the name).
    known = sorted((i for i in actor.identifiers if (i.kind, i.key) in index),
                   key=lambda i: i.kind != "patient")
    anchor = members[index[(known[0].kind, known[0].key)]] if known else None
    name = _label(anchor, mask) if anchor is not None else actor.id
    bookings = actor.evidence.get("bookings")
    counts = f"{len(actor.identifiers)} {t['identifiers']}"
    if isinstance(bookings, int):
        counts += f" · {bookings} {t['bookings']}"
    return f"{w['role.' + actor.role]}\n{name}\n{counts}"


def _actor_info(actor: Actor, mask: IdentifierMask, w: dict[str, str],
                t: dict[str, str], label: str) -> dict[str, Any]:
    ev = dict(actor.evidence)
    facts = [[t["role"], w["role." + actor.role]], [t["score"], f"{actor.score:.2f}"],
             [t["identifiers"], str(len(actor.identifiers))]]
    for name in ("bookings", "customers", "payments"):
        if isinstance(ev.get(name), int):
            facts.append([t[name], f"{ev.pop(name):,}"])
    first, last = _actor_span(ev)
    for name in ("first_ms", "last_ms", "first_seen", "last_seen"):
        ev.pop(name, None)
    for ms, word in ((first, "first_seen"), (last, "last_seen")):
        if ms is not None:
            facts.append([t[word], _when_ms(ms)])
    return {"title": label.replace("\n", " · "), "sub": actor.id, "facts": facts,
            "signals": [], "evidence": [[str(k), _evidence_text(v)]
                                        for k, v in mask.value(ev).items()]}


def _add_chart(graph: PyvisNetwork, network: Network, mask: IdentifierMask,
               index: dict[tuple[str, str], int], plan: _Plan, info: dict[str, Any],
               edge_info: dict[str, Any], w: dict[str, str],
               t: dict[str, str]) -> dict[str, Any] | None:
    """The org chart of the network's actors: a box per technician, first-level and
    second-level actor, each agent's patients as one box that opens into theirs. None when
    the network has no stored actors (the page then opens on the identifiers)."""
    actors = network.actors
    if not actors:
        return None
    members = network.members
    ids = {a.id: n for n, a in enumerate(actors)}
    parents = [ids.get(a.parent) if a.parent else None for a in actors]
    # Only a scalper can be a parent in the chart (a stale or odd parent is no parent).
    parents = [p if p is not None and actors[p].role in UPPER_TIERS else None for p in parents]
    chart = actor_chart([a.role for a in actors], parents, [a.score for a in actors])
    block_of = {i: b for b in chart.blocks for i in b.actors}
    out_actors: dict[str, Any] = {}
    out_blocks: dict[str, Any] = {}

    def aid(n: int) -> str:
        return f"a{n}"

    for n, actor in enumerate(actors):
        label = _actor_label(actor, members, index, mask, w, t)
        block = block_of.get(n)
        if block is None and n not in chart.positions:
            continue  # a role the chart has no row for
        if block is None:
            x, y = chart.positions[n]
        else:
            k = block.actors.index(n)
            x, y = block.x + block.offsets[k][0], block.y + block.offsets[k][1]
        graph.add_node(aid(n), label=label, shape="box", color=_node_colour(actor.role),
                       x=round(x, 1), y=round(y, 1), hidden=True, physics=False, margin=8,
                       font={"color": "#ffffff" if actor.role != "second_level" else "#111827",
                             "size": 20, "strokeWidth": 0},
                       borderWidth=2, widthConstraint={"maximum": 170})
        info[aid(n)] = _actor_info(actor, mask, w, t, label)
        drawn = [f"m{index[(i.kind, i.key)]}" for i in actor.identifiers
                 if (i.kind, i.key) in index and index[(i.kind, i.key)] not in plan.dropped]
        flags = {}
        for i in actor.identifiers:
            if (i.kind, i.key) in index and (i.shared or i.operated_by_tool):
                flags[f"m{index[(i.kind, i.key)]}"] = "tool" if i.operated_by_tool else "shared"
        first, last = _actor_span(actor.evidence)
        out_actors[aid(n)] = {
            "role": actor.role, "score": round(actor.score, 3),
            "block": block.id if block is not None else None, "members": drawn,
            "flags": flags, "first": first, "last": last,
            "x": round(x, 1), "y": round(y, 1),
        }
        parent = parents[n]
        if parent is not None and (parent in chart.positions or parent in block_of):
            edge_id = f"ae{n}"
            bookings, payments = actor.link.get("bookings", 0), actor.link.get("payments", 0)
            graph.add_edge(aid(parent), aid(n), id=edge_id, hidden=True, physics=False,
                           label=f"{bookings} {t['bookings']}"
                                 + (f" · {payments} {t['payments']}" if payments else ""),
                           width=round(1 + math.log2(1 + bookings) / 2, 2))
            edge_info[edge_id] = [[t["link"], f"{w['role.' + actors[parent].role]} → "
                                              f"{w['role.' + actor.role]}"],
                                  [t["bookings"], f"{bookings:,}"],
                                  [t["payments"], f"{payments:,}"]]
    for block in chart.blocks:
        people = len(block.actors)
        role = actors[block.actors[0]].role
        if role == "patient":
            short = t["patients"].format(n=people)
            agent = (info[aid(block.parent)]["title"] if block.parent is not None else None)
            caption = (t["group_of"].format(n=people, agent=agent) if agent
                       else t["no_agent"].format(n=people))
        else:  # the second levels beyond the chart's budget
            short = caption = f"{people} {w['role.' + role]}"
        graph.add_node(block.id, label=f"+ {short}", shape="box",
                       color=_node_colour(role, light=True), x=round(block.x, 1),
                       y=round(block.y, 1), hidden=True, physics=False, margin=10,
                       font={"size": 20, "color": "#111827"})
        top = max((actors[i] for i in block.actors), key=lambda a: a.score)
        info[block.id] = {"title": caption, "sub": t["open"],
                          "facts": [[t["members"], str(people)],
                                    [t["highest"], f"{top.score:.2f}"]],
                          "signals": [], "evidence": []}
        bookings = sum(actors[i].link.get("bookings", 0) for i in block.actors)
        if block.parent is not None:
            edge_id = f"be{block.id}"
            graph.add_edge(aid(block.parent), block.id, id=edge_id, hidden=True, dashes=True,
                           physics=False, label=f"{bookings} {t['bookings']}",
                           width=round(1 + math.log2(1 + bookings) / 2, 2))
            edge_info[edge_id] = [[t["link"], caption], [t["bookings"], f"{bookings:,}"]]
        out_blocks[block.id] = {
            "actors": [aid(i) for i in block.actors], "caption": caption,
            "parent": aid(block.parent) if block.parent is not None else None,
            "x": round(block.x, 1), "y": round(block.y, 1), "width": block.width,
            "height": block.height,
            "offsets": [[round(dx, 1), round(dy, 1)] for dx, dy in block.offsets]}
    return {"actors": out_actors, "blocks": out_blocks,
            "rows": [[w["role." + tier], y] for tier, y in chart.rows]}


def _legend(w: dict[str, str]) -> str:
    roles = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>'
        f'{_e(w["role." + role])}</li>' for role, colour in ROLE_COLOURS.items())
    kinds = "".join(f'<li><span class="shape">{_e(symbol)}</span>{_e(w["kind." + kind])}</li>'
                    for kind, (_, symbol, _) in KIND_SHAPES.items())
    return (f'<h2>{_e(w["legend.role"])}</h2><ul class="legend">{roles}</ul>'
            f'<h2>{_e(w["legend.kind"])}</h2><ul class="legend">{kinds}</ul>'
            f'<p class="hint">{_e(w["legend.hint"])}</p>')


def _signal_list(signals: Sequence[Signal], mask: IdentifierMask, w: dict[str, str],
                 lang: str) -> str:
    if not signals:
        return f'<p class="hint">{_e(w["no_signals"])}</p>'
    items = "".join(
        f'<li><span class="signal-name">{_e(name)}</span> <b>{_e(value)}</b>'
        + (f'<div class="signal-detail">{_e(detail)}</div>' if detail else "") + "</li>"
        for name, value, detail in _signal_rows(signals, mask, lang))
    return f'<ul class="signals">{items}</ul>'


def _nav(served: Served | None, w: dict[str, str], network_id: str, lang: str) -> str:
    """A served page's link back to the overview, its case (opened at the first click),
    its report, and the sign-out button."""
    if served is None:
        return ""
    report = f"{served.overview}/{quote(network_id, safe='')}/report?lang={lang}"
    return (f'<nav class="session"><a href="{_e(served.overview)}?lang={_e(lang)}">'
            f'{_e(w["overview_link"])}</a><a href="{_e(report)}">{_e(w["report"])}</a>'
            f'<form method="post" action="{_e(served.cases)}?lang={_e(lang)}">'
            f'<input type="hidden" name="network_id" value="{_e(network_id)}">'
            f'<button type="submit" id="open-case">{_e(w["case"])}</button></form>'
            f'<form method="post" action="{_e(served.logout)}">'
            f'<button type="submit">{_e(w["sign_out"])}</button></form></nav>')


def _risk(value: float) -> str:
    """A risk for people: 0.9991 stays below 1 (never rounded up to a certainty)."""
    return f"{math.floor(value * 1000) / 1000:.3f}"


def _hospital_filter(network: Network, extra: dict[str, Any],
                     hospitals_of: Mapping[str, Sequence[str]]) -> None:
    """Each drawn member's hospitals (indices into the network's), and each person's (those
    of the identifiers drawn for them), for the page's hospital filter."""
    index = {h: i for i, h in enumerate(network.hospitals)}
    for entry_id, entry in extra["members"].items():
        member = network.members[int(entry_id[1:])]
        entry["h"] = sorted({index[h] for h in hospitals_of.get(uid(member.kind, member.key), ())
                             if h in index})
    chart = extra.get("chart")
    for actor in (chart["actors"].values() if chart else ()):
        actor["h"] = sorted({h for m in actor["members"] for h in extra["members"][m]["h"]})
    for block in (chart["blocks"].values() if chart else ()):
        block["h"] = sorted({h for a in block["actors"] for h in chart["actors"][a]["h"]})


def render_network_page(network: Network, *, masked: bool, physics: bool = False,
                        max_nodes: int = 400, lang: str = DEFAULT_LANGUAGE,
                        served: Served | None = None,
                        hospitals_of: Mapping[str, Sequence[str]] | None = None) -> str:
    """One network as a self-contained interactive HTML page.

    The page opens on the org chart of the network's actors when they are stored (each box
    opens into its identifiers), else on the tiered identifiers. `masked` hides ID numbers
    and phones (analysts); `physics` starts from a free layout that settles briefly and then
    stays still; above `max_nodes` members, patients are collapsed under their agents and,
    if that is not enough, the lowest-ranked are left out with a notice. `lang` is zh-CN
    or en; `served` links the page to the API (search beyond the page, neighbours,
    timelines, paths) for a signed-in browser. `hospitals_of` (member uid → the network's
    hospitals it booked at, ``network_member_hospitals``) adds a filter by hospital.
    """
    if max_nodes < 1:
        raise ValueError("max_nodes must be at least 1")
    w = words(lang)
    t = SCRIPT[lang]
    mask = IdentifierMask(masked, ((m.kind, m.key) for m in network.members))
    members = network.members
    index = {(m.kind, m.key): i for i, m in enumerate(members)}
    edges = [(index[(lk.source.kind, lk.source.key)], index[(lk.target.kind, lk.target.key)],
              lk.weight or 1.0)
             for lk in network.links
             if (lk.source.kind, lk.source.key) in index
             and (lk.target.kind, lk.target.key) in index]
    roles, scores = [m.role for m in members], [m.score for m in members]
    groups = group_patients(roles, scores, edges)
    plan = _plan(members, groups, max_nodes, w)
    layout = tiered_layout(roles, scores, edges, groups=groups, compact=bool(plan.collapsed))
    graph, extra = _build_graph(network, mask, layout, plan, physics, w, t, served, lang)
    if hospitals_of is not None:
        _hospital_filter(network, extra, hospitals_of)
    data = {"nodes": graph.nodes, "edges": graph.edges, "options": graph.options, **extra,
            "t": t, "lang": lang, "api": served is not None, "masked": masked,
            "served": {"overview": served.overview} if served is not None else None,
            "roles": {role: w["role." + role] for role in ROLE_COLOURS},
            "tz": DISPLAY_TZ_NAME, "network": network.id,
            "hospitals": ([mask.text(h) for h in network.hospitals]
                          if hospitals_of is not None else None)}

    vis_js = _vis_network_js()
    app_js = _asset("network.js")
    hospitals = ", ".join(network.hospitals) or "?"
    facts = w["facts"].format(
        risk=_risk(network.risk), size=f"{network.size:,}",
        actors=_e(w["actors"].format(n=f"{len(network.actors):,}")) if network.actors else "",
        hospitals=_e(mask.text(hospitals)), first=_e(_when(network.first_seen)),
        last=_e(_when(network.last_seen)))
    notices = list(plan.notice) if not network.actors else []
    if not members:
        notices.append(w["empty"])
    return _template("network.html").substitute(
        lang=_e(lang),
        title=_e(w["title"].format(id=network.id)),
        csp=_e(_csp([vis_js, app_js], served=served is not None)),
        page_css=_asset("page.css"),
        nav=_nav(served, w, network.id, lang),
        heading=_e(w["network"].format(id=network.id)),
        facts=facts,
        masked=f'<p class="masked">{_e(w["masked"])}</p>' if masked else "",
        notice="".join(f'<p class="notice">{_e(text)}</p>' for text in notices),
        legend=_legend(w),
        signals_heading=_e(w["signals"]),
        signals=_signal_list(network.signals, mask, w, lang),
        selected=_e(w["selected"]), pick=_e(w["pick"]),
        fit=_e(w["fit"]), tiered=_e(w["tiered"]), physics_label=_e(w["physics"]),
        collapse_all=_e(w["collapse_all"]), chart=_e(w["chart"]), list=_e(w["list"]),
        identifiers=_e(w["identifiers"]), search=_e(w["search"]),
        search_hint=_e(w["search_hint"]), min_score=_e(w["min_score"]),
        period=_e(w["period"]),
        role_options="".join(f'<option value="{r}">{_e(w["role." + r])}</option>'
                             for r in ROLE_COLOURS),
        kind_options="".join(f'<option value="{k}">{_e(w["kind." + k])}</option>'
                             for k in KIND_SHAPES),
        all_roles=_e(t["all_roles"]), all_kinds=_e(t["all_kinds"]),
        all_hospitals=_e(t["all_hospitals"]),
        hospital_options="".join(f'<option value="{i}">{_e(mask.text(h))}</option>'
                                 for i, h in enumerate(network.hospitals)
                                 if hospitals_of is not None),
        physics_checked="checked" if physics else "",
        data=_json_for_script(data),
        vis_js=vis_js,
        app_js=app_js,
    )


__all__ = ["LANGUAGES", "Served", "render_network_page"]
