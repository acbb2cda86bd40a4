"""A network as GraphML or GEXF (written by networkx) for Gephi, i2 or yEd.

Nodes are the members, edges the stored tree of tiers (``links``). For a caller who sees
masks a node is named by its opaque reference and labelled with its masked key, so the file
holds no ID number or phone.
"""

from __future__ import annotations

import io

import networkx as nx

from scalpernet.api.present import Presenter
from scalpernet.locale import role_name
from scalpernet.results.models import Network


def network_graph(network: Network, present: Presenter, lang: str) -> nx.DiGraph:
    graph = nx.DiGraph(name=network.id, risk=network.risk)
    node_of: dict[str, str] = {}
    for m in network.members:
        member_uid = f"{m.kind}:{m.key}"
        shown = present.entity(member_uid)
        node = shown["ref"] if present.masked else member_uid
        node_of[member_uid] = node
        graph.add_node(node, label=present.text(shown["key"]), kind=m.kind, role=m.role,
                       role_name=role_name(m.role, lang), score=float(m.score),
                       ref=shown["ref"])
    for link in network.links:
        a = node_of.get(f"{link.source.kind}:{link.source.key}")
        b = node_of.get(f"{link.target.kind}:{link.target.key}")
        if a is None or b is None:
            continue
        graph.add_edge(a, b, type=link.type, weight=float(link.weight),
                       registrations=int(link.registrations))
    return graph


def to_graphml(graph: nx.DiGraph) -> bytes:
    out = io.BytesIO()
    nx.write_graphml(graph, out, encoding="utf-8")
    return out.getvalue()


def to_gexf(graph: nx.DiGraph) -> bytes:
    out = io.BytesIO()
    nx.write_gexf(graph, out, encoding="utf-8")
    return out.getvalue()
