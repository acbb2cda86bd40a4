// Detection projection: each registration's patient, as two id columns.
MATCH (r:Registration)-[:FOR]->(p:Patient)
RETURN collect(id(r)) AS registration, collect(id(p)) AS entity
