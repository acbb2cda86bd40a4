// Detection projection: registration -> EscortAgent (VIA_AGENT), as two id columns.
MATCH (r:Registration)-[:VIA_AGENT]->(x:EscortAgent)
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity
