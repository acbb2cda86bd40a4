"""Detection results: their shapes (``models``) and how they are stored in Neo4j (``store``)."""
