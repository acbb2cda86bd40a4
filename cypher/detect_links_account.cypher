// Detection projection: registration -> Account (BY_ACCOUNT), as two id columns.
MATCH (r:Registration)-[:BY_ACCOUNT]->(x:Account)
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity
