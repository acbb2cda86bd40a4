// Detection projection: every registration's links to its entities (one slice, $part of
// $parts), as parallel columns: registration, entity and the entity's slot code
// (0 patient, 2 contact phone, 3 IP, 4 device, 5 account, 6 payer, 7 escort agent).
MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(x)
WHERE id(r) % $parts = $part
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity,
       collect(CASE WHEN x:Patient THEN 0 WHEN x:Phone THEN 2 WHEN x:IP THEN 3
                    WHEN x:Device THEN 4 WHEN x:Account THEN 5 WHEN x:Payer THEN 6
                    WHEN x:EscortAgent THEN 7 ELSE -1 END) AS slot
