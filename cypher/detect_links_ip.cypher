// Detection projection: registration -> IP (FROM_IP), as two id columns.
MATCH (r:Registration)-[:FROM_IP]->(x:IP)
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity
