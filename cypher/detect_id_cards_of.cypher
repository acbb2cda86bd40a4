// Kept analysis window: the ID cards of the patients named by node id, as two id columns.
UNWIND $ids AS i
MATCH (p:Patient)-[:HAS_ID]->(c:IDCard)
WHERE id(p) = i
RETURN collect(id(p)) AS patient, collect(id(c)) AS id_card
