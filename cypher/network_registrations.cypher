// The registrations behind a current network: every booking linked to one of its members
// holding a scalper role (technician, first level, second level), in booking order, up to
// $limit, with every entity each one links to, and how many there are in all.
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(e:Entity)
  WHERE m.role IN ['technician', 'first_level', 'second_level']
  MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e)
  RETURN DISTINCT r
}
WITH r ORDER BY r.booked_at, r.key
WITH collect(r) AS regs
CALL (regs) {
  UNWIND range(0, size(regs[0..$limit]) - 1) AS i
  WITH i, regs[i] AS r
  OPTIONAL MATCH (r)-[rel]->(x:Entity)
  WITH i, r, collect({type: type(rel), uid: x.uid}) AS links
  ORDER BY i
  // times as ISO text: hydrating many zoned datetimes in the driver is the slow part
  RETURN collect(r {.key, .registration_id, .hospital, .department, .doctor,
                    slot_time: toString(r.slot_time), released_at: toString(r.released_at),
                    booked_at: toString(r.booked_at), paid_at: toString(r.paid_at),
                    cancelled_at: toString(r.cancelled_at), .latency_ms, .status,
                    .fee_yuan, .visit_card, .payer_channel, .source_file, .source_line,
                    links: links}) AS items
}
RETURN size(regs) AS total, items
