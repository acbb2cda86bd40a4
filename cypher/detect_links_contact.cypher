// Detection projection: registration -> contact phone (CONTACT), as two id columns.
MATCH (r:Registration)-[:CONTACT]->(x:Phone)
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity
