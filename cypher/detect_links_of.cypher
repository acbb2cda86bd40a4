// Kept analysis window: the links to their entities of the registrations named by node id,
// as parallel columns (slot codes as in detect_links.cypher).
UNWIND $ids AS i
MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(x)
WHERE id(r) = i
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity,
       collect(CASE WHEN x:Patient THEN 0 WHEN x:Phone THEN 2 WHEN x:IP THEN 3
                    WHEN x:Device THEN 4 WHEN x:Account THEN 5 WHEN x:Payer THEN 6
                    WHEN x:EscortAgent THEN 7 ELSE -1 END) AS slot
