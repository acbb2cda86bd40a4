// Detection projection: one slice of the registrations ($part of $parts), as parallel columns.
// Entities are referred to by internal node id (-1 when absent); $missing marks absent times.
MATCH (r:Registration)
WHERE id(r) % $parts = $part
WITH r, head([(r)-[:FOR]->(x:Patient) | x]) AS p
WITH r, p, head([(p)-[:HAS_ID]->(x:IDCard) | x]) AS c,
     head([(r)-[:CONTACT]->(x:Phone) | x]) AS ph
RETURN collect(id(r)) AS registration,
       collect(coalesce(id(p), -1)) AS patient,
       collect(coalesce(id(c), -1)) AS id_card,
       collect(coalesce(id(ph), -1)) AS phone,
       collect(coalesce(head([(r)-[:FROM_IP]->(x:IP) | id(x)]), -1)) AS ip,
       collect(coalesce(head([(r)-[:ON_DEVICE]->(x:Device) | id(x)]), -1)) AS device,
       collect(coalesce(head([(r)-[:BY_ACCOUNT]->(x:Account) | id(x)]), -1)) AS account,
       collect(coalesce(head([(r)-[:PAID_BY]->(x:Payer) | id(x)]), -1)) AS payer,
       collect(coalesce(head([(r)-[:VIA_AGENT]->(x:EscortAgent) | id(x)]), -1)) AS escort_agent,
       collect(coalesce(r.latency_ms, $missing)) AS latency_ms,
       collect(coalesce(r.booked_at.epochMillis, $missing)) AS booked_ms,
       collect(coalesce(r.cancelled_at.epochMillis, $missing)) AS cancelled_ms,
       collect(coalesce(r.paid_at.epochMillis, $missing)) AS paid_ms,
       collect(coalesce(r.slot_time.epochMillis, $missing)) AS slot_ms,
       collect(coalesce(r.booked_at.hour * 60 + r.booked_at.minute, -1)) AS booked_minute,
       collect(coalesce(r.status, '')) AS status,
       collect(coalesce(r.hospital, '')) AS hospital,
       collect(coalesce(r.department, '')) AS department,
       collect(coalesce(r.doctor, '')) AS doctor,
       collect(coalesce(r.visit_card, '')) AS visit_card,
       collect(coalesce(p.junk_name, false)) AS junk_name,
       collect(coalesce(c.valid, true)) AS id_valid,
       collect(coalesce(ph.virtual, false)) AS virtual_phone
