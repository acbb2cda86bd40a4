// An entity's registrations booked in [$since, $until) in booking order (or reversed), one
// page of them with every entity each one links to, and the total in the window.
MATCH (e:Entity {uid: $uid})
OPTIONAL CALL (e) {
  MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e)
  RETURN r
  UNION
  MATCH (r:Registration)-[:FOR]->(:Patient)-[:HAS_ID]->(e)
  RETURN r
}
WITH e, r ORDER BY r.booked_at, r.key
// collect() skips nulls: registrations outside the window drop out, the entity stays
WITH e, collect(CASE WHEN ($since IS NULL OR r.booked_at >= $since)
                      AND ($until IS NULL OR r.booked_at < $until) THEN r END) AS regs
WITH size(regs) AS total, CASE WHEN $descending THEN reverse(regs) ELSE regs END AS ordered
WITH total, ordered[$offset..($offset + $limit)] AS page
CALL (page) {
  UNWIND range(0, size(page) - 1) AS i
  WITH i, page[i] AS r
  OPTIONAL MATCH (r)-[rel]->(n:Entity)
  WITH i, r, collect({type: type(rel), uid: n.uid}) AS links
  ORDER BY i
  // times as ISO text: hydrating hundreds of zoned datetimes in the driver is the slow part
  RETURN collect(r {.key, .registration_id, .hospital, .department, .doctor,
                    slot_time: toString(r.slot_time), released_at: toString(r.released_at),
                    booked_at: toString(r.booked_at), paid_at: toString(r.paid_at),
                    cancelled_at: toString(r.cancelled_at), .latency_ms, .status,
                    .fee_yuan, .visit_card, .payer_channel, .extra, .source_file,
                    .source_line, .ingest_run, links: links}) AS items
}
RETURN total, items
