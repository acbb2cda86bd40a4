"""ScalperNet: maps hospital appointment scalper networks in a Neo4j graph."""

__version__ = "0.1.0"
