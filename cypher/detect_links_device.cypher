// Detection projection: registration -> Device (ON_DEVICE), as two id columns.
MATCH (r:Registration)-[:ON_DEVICE]->(x:Device)
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity
