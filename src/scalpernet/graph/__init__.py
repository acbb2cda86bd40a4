"""The only package that talks Bolt: driver, named queries, schema."""

from scalpernet.graph.queries import load_query
from scalpernet.graph.session import Graph, get_graph

__all__ = ["Graph", "get_graph", "load_query"]
