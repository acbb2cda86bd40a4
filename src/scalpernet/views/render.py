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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from string import Template
from typing import Any

import orjson
from pyvis.network import Network as PyvisNetwork

from scalpernet.results.models import Member, Network, Signal
from scalpernet.views.layout import UPPER_TIERS, Group, Layout, group_patients, tiered_layout
from scalpernet.views.masking import IdentifierMask

#: Role → (colour, caption); colours stay apart for the common kinds of colour blindness.
ROLE_STYLES: dict[str, tuple[str, str]] = {
    "technician": ("#b91c1c", "Technician"),
    "first_level": ("#ea580c", "First-level scalper"),
    "second_level": ("#ca8a04", "Second-level scalper"),
    "patient": ("#2563eb", "Patient"),
    "none": ("#9ca3af", "No scalping role"),
}
#: Row captions drawn left of the tiers.
ROW_CAPTIONS: dict[str, str] = {
    "technician": "Technicians",
    "first_level": "First level",
    "second_level": "Second level",
    "patient": "Patients",
    "none": "No scalping role",
}
#: Kind → (vis-network shape, legend symbol, caption, dashed border).
KIND_SHAPES: dict[str, tuple[str, str, str, bool]] = {
    "ip": ("triangle", "▲", "IP address", False),
    "payer": ("star", "★", "Payment account", False),
    "escort_agent": ("hexagon", "⬢", "Escort agent", False),
    "account": ("triangleDown", "▼", "App account", False),
    "device": ("dot", "◌", "Device", True),
    "phone": ("diamond", "◆", "Phone", False),
    "id_card": ("square", "■", "ID card", False),
    "patient": ("dot", "●", "Patient", False),
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


def _csp(scripts: Sequence[str]) -> str:
    """A policy that runs exactly the page's own scripts and lets nothing be fetched."""
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
              for s in scripts]
    return (f"default-src 'none'; script-src {' '.join(hashes) or repr('none')}; "
            "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")


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


def _signal_rows(signals: Sequence[Signal], mask: IdentifierMask) -> list[list[str]]:
    return [[mask.text(s.name), mask.text(_number(s.value)), mask.text(s.detail)] for s in signals]


def _member_info(member: Member, mask: IdentifierMask) -> dict[str, Any]:
    shape = KIND_SHAPES[member.kind]
    evidence = mask.value(member.evidence)
    return {
        "title": f"{shape[2]} · {_label(member, mask)}",
        "sub": f"{member.kind}:{_shown_key(member, mask)}",
        "facts": [["Role", ROLE_STYLES[member.role][1]], ["Score", f"{member.score:.2f}"]],
        "signals": _signal_rows(member.signals, mask),
        "evidence": [[str(k), _evidence_text(v)] for k, v in evidence.items()],
    }


@dataclass
class _Plan:
    """Which members are drawn at first, which wait in collapsed groups, which are left out."""

    collapsed: set[str]  # group ids drawn as one node
    dropped: set[int]  # member indices left out of the page
    notice: list[str]


def _plan(members: Sequence[Member], groups: Sequence[Group], max_nodes: int) -> _Plan:
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
        notice.append("Large network: patients are grouped under the agent who booked for "
                      "them, and members without a scalping role are grouped apart. "
                      "Click a group to show its members.")
    if dropped:
        notice.append(f"{len(dropped)} of {total} members are not drawn (the lowest-ranked "
                      f"scalpers and the patients booked through them): this page draws at "
                      f"most {max_nodes} nodes. The network's JSON (GET /networks/{{id}}, or "
                      "scalpernet networks --json) lists every member.")
    return _Plan(collapsed=collapsed, dropped=dropped, notice=notice)


def _node_colour(role: str, light: bool = False) -> dict[str, Any]:
    colour = ROLE_STYLES[role][0]
    fill = colour + "33" if light else colour
    return {"background": fill, "border": colour,
            "highlight": {"background": fill, "border": "#111827"},
            "hover": {"background": fill, "border": "#111827"}}


def _build_graph(network: Network, mask: IdentifierMask, layout: Layout, plan: _Plan,
                 physics: bool) -> tuple[PyvisNetwork, dict[str, Any]]:
    """The vis-network data as a pyvis graph, plus what the page's script needs besides."""
    members = network.members
    graph = PyvisNetwork(directed=True)
    info: dict[str, Any] = {}
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
        shape, _, _, dashed = KIND_SHAPES[member.kind]
        x, y = layout.positions[i]
        hidden = group_of.get(i) in plan.collapsed
        graph.add_node(
            node_id(i), label=_label(member, mask), shape=shape,
            color=_node_colour(member.role), size=round(9 + 21 * member.score, 1),
            x=round(x, 1), y=round(y, 1), hidden=hidden, physics=not hidden,
            shapeProperties={"borderDashes": [4, 3] if dashed else False},
        )
        info[node_id(i)] = _member_info(member, mask)

    for group in layout.groups:
        if group.agent is not None and group.agent in plan.dropped:
            continue
        shown = [node_id(i) for i in group.members]
        agent = _label(members[group.agent], mask) if group.agent is not None else None
        if group.role == "none":
            short = f"{len(shown)} without a role"
            caption = f"{len(shown)} members without a scalping role"
        else:
            # One patient comes with their ID card and phone: count people, not members.
            people = sum(1 for i in group.members if members[i].kind == "patient")
            short = f"{people or len(group.components)} patients"
            caption = f"{short} of {agent}" if agent else f"{short} with no agent found"
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
            "sub": "Click to show them.",
            "facts": [["Members", str(len(shown))], ["Highest score", f"{top.score:.2f}"]],
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
        graph.add_edge(node_id(a), node_id(b), id=edge_id, label=_clip(link.type, 32),
                       hidden=hidden, physics=not hidden,
                       width=round(1 + math.log2(1 + link.registrations) / 2, 2))
        edge_info[edge_id] = [["Link", link.type], ["Registrations", str(link.registrations)],
                              ["Weight", _number(link.weight)]]
        if (rep_a, rep_b) != (node_id(a), node_id(b)) and rep_a != rep_b:
            aggregated[(rep_a, rep_b, link.type)] += 1
    for n, ((rep_a, rep_b, kind), count) in enumerate(sorted(aggregated.items())):
        edge_id = f"a{n}"
        graph.add_edge(rep_a, rep_b, id=edge_id, dashes=True,
                       label=_clip(kind, 32) + (f" ×{count}" if count > 1 else ""),
                       width=round(1 + math.log2(1 + count) / 2, 2))
        edge_info[edge_id] = [["Link", kind], ["Links in the group", str(count)]]

    visible = sum(1 for n in graph.nodes if not n.get("hidden"))
    graph.options = {
        "autoResize": True,
        "physics": {
            "enabled": physics,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000, "springLength": 150,
                          "avoidOverlap": 0.3},
            # Brief stabilisation only: the page turns physics off when it is done.
            "stabilization": {"enabled": physics, "iterations": 150 if visible > 300 else 300,
                              "updateInterval": 50, "fit": True},
        },
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "interaction": {"hover": True, "tooltipDelay": 150, "navigationButtons": False,
                        "keyboard": False, "multiselect": False,
                        "hideEdgesOnDrag": visible > 300, "hideEdgesOnZoom": visible > 600},
        "nodes": {"font": {"size": 13, "face": "sans-serif", "color": "#111827"},
                  "borderWidth": 1.5},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
                  "color": {"color": "#94a3b8", "highlight": "#111827", "hover": "#334155"},
                  "font": {"size": 10, "align": "middle", "color": "#475569",
                           "strokeWidth": 3, "strokeColor": "#ffffff"}},
    }
    extra = {
        "info": info,
        "edgeInfo": edge_info,
        "groups": groups,
        "rows": [[ROW_CAPTIONS[tier], y] for tier, y in layout.rows],
        "apart": next(([ROW_CAPTIONS["none"], g.x, g.y] for g in layout.groups
                       if g.role == "none"), None),
        "physics": physics,
        "total": len(members),
    }
    return graph, extra


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "?"


def _legend() -> str:
    roles = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{_e(caption)}</li>'
        for colour, caption in ROLE_STYLES.values())
    kinds = "".join(f'<li><span class="shape">{_e(symbol)}</span>{_e(caption)}</li>'
                    for _, symbol, caption, _ in KIND_SHAPES.values())
    return (f'<h2>Colour: role</h2><ul class="legend">{roles}</ul>'
            f'<h2>Shape: kind</h2><ul class="legend">{kinds}</ul>'
            '<p class="hint">Size: score. A box "+ 14 patients" is a group: click to open '
            "it. Edge label: how two members are linked; dashed: links into a group.</p>")


def _signal_list(signals: Sequence[Signal], mask: IdentifierMask) -> str:
    if not signals:
        return '<p class="hint">No network-level signals stored.</p>'
    items = "".join(
        f'<li><span class="signal-name">{_e(name)}</span> <b>{_e(value)}</b>'
        + (f'<div class="signal-detail">{_e(detail)}</div>' if detail else "") + "</li>"
        for name, value, detail in _signal_rows(signals, mask))
    return f'<ul class="signals">{items}</ul>'


def render_network_page(network: Network, *, masked: bool, physics: bool = False,
                        max_nodes: int = 400) -> str:
    """One network as a self-contained interactive HTML page.

    `masked` hides ID numbers and phones (analysts); `physics` starts from a free layout
    that settles briefly and then stays still; above `max_nodes` members, patients are
    collapsed under their agents and, if that is not enough, the lowest-ranked are left out
    with a notice.
    """
    if max_nodes < 1:
        raise ValueError("max_nodes must be at least 1")
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
    plan = _plan(members, groups, max_nodes)
    layout = tiered_layout(roles, scores, edges, groups=groups, compact=bool(plan.collapsed))
    graph, extra = _build_graph(network, mask, layout, plan, physics)
    data = {"nodes": graph.nodes, "edges": graph.edges, "options": graph.options, **extra}

    vis_js = _vis_network_js()
    app_js = _asset("network.js")
    hospitals = ", ".join(network.hospitals) or "?"
    facts = (f"Risk <b>{network.risk:.2f}</b> · {network.size} members · hospitals: "
             f"{_e(mask.text(hospitals))} · seen {_when(network.first_seen)} – "
             f"{_when(network.last_seen)}")
    notices = list(plan.notice)
    if not members:
        notices.append("This network has no stored members.")
    return _template("network.html").substitute(
        title=_e(f"Network {network.id} · ScalperNet"),
        csp=_e(_csp([vis_js, app_js])),
        page_css=_asset("page.css"),
        heading=_e(f"Network {network.id}"),
        facts=facts,
        masked=('<p class="masked">ID numbers and phones are masked for your role.</p>'
                if masked else ""),
        notice="".join(f'<p class="notice">{_e(text)}</p>' for text in notices),
        legend=_legend(),
        signals=_signal_list(network.signals, mask),
        physics_checked="checked" if physics else "",
        data=_json_for_script(data),
        vis_js=vis_js,
        app_js=app_js,
    )
