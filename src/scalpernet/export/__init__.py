"""Exports of a network: members and registrations as CSV/XLSX, the graph as GraphML/GEXF."""
