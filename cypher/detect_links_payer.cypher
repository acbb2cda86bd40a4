// Detection projection: registration -> Payer (PAID_BY), as two id columns.
MATCH (r:Registration)-[:PAID_BY]->(x:Payer)
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity
