// Detection projection: each patient's ID card, as two id columns.
MATCH (p:Patient)-[:HAS_ID]->(c:IDCard)
RETURN collect(id(p)) AS patient, collect(id(c)) AS id_card
