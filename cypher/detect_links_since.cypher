// Detection projection over a window: the links to their entities of the registrations
// booked at or after $since_ms (one slice, $part of $parts), as parallel columns:
// registration, entity and the entity's slot code (as in detect_links.cypher); the
// booked_at index finds the registrations without touching older bookings.
MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(x)
WHERE r.booked_at >= datetime({epochMillis: $since_ms}) AND id(r) % $parts = $part
RETURN collect(id(r)) AS registration, collect(id(x)) AS entity,
       collect(CASE WHEN x:Patient THEN 0 WHEN x:Phone THEN 2 WHEN x:IP THEN 3
                    WHEN x:Device THEN 4 WHEN x:Account THEN 5 WHEN x:Payer THEN 6
                    WHEN x:EscortAgent THEN 7 ELSE -1 END) AS slot
