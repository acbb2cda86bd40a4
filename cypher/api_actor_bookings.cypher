// The bookings behind one actor of the current analysis run: every registration through one
// of the identifiers it uses (an ID card's are those of its patients), summarised: counts,
// first and last booking, hospitals, doctors, statuses, the delay after release
// (booked − released; its mean rounded to 0.1 ms, so that the order Neo4j happens to sum in
// cannot change the answer) and the payments. First and last booking come as [epoch
// seconds, nanosecond, offset seconds], as in api_entity_summary.
MATCH (run:AnalysisRun {current: true})
// the actor by its id through the (id, run_id) index (whichever run wrote it)
MATCH (a:Actor)
WHERE a.id = $id AND a.run_id IS NOT NULL
  AND EXISTS { (run)-[:FOUND]->(:Network)-[:HAS_ACTOR]->(a) }
OPTIONAL CALL (a) {
  MATCH (a)-[:USES]->(:Entity)
        <-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]-(r:Registration)
  RETURN r
  UNION
  MATCH (a)-[:USES]->(:IDCard)<-[:HAS_ID]-(:Patient)<-[:FOR]-(r:Registration)
  RETURN r
}
WITH a, collect(r) AS regs
CALL (regs) {
  UNWIND regs AS r
  RETURN count(r) AS total, min(r.booked_at) AS first_booked_at,
         max(r.booked_at) AS last_booked_at, count(DISTINCT r.department) AS departments,
         count(DISTINCT r.doctor) AS doctors,
         count(r.latency_ms) AS with_latency, min(r.latency_ms) AS latency_min,
         percentileDisc(r.latency_ms, 0.1) AS latency_p10,
         percentileDisc(r.latency_ms, 0.5) AS latency_p50,
         percentileDisc(r.latency_ms, 0.9) AS latency_p90,
         max(r.latency_ms) AS latency_max, round(avg(r.latency_ms), 1) AS latency_mean,
         sum(CASE WHEN r.latency_ms < 1000 THEN 1 ELSE 0 END) AS under_1s
}
CALL (regs) {
  UNWIND regs AS r
  WITH r.hospital AS hospital, count(*) AS n
  WHERE hospital IS NOT NULL
  ORDER BY n DESC, hospital
  RETURN collect({hospital: hospital, registrations: n}) AS hospitals
}
CALL (regs) {
  UNWIND regs AS r
  WITH r.hospital AS hospital, r.doctor AS doctor, count(*) AS n
  WHERE doctor IS NOT NULL
  ORDER BY n DESC, hospital, doctor
  LIMIT $doctors
  RETURN collect({hospital: hospital, doctor: doctor, registrations: n}) AS top_doctors
}
CALL (regs) {
  UNWIND regs AS r
  WITH r.status AS status, count(*) AS n
  WHERE status IS NOT NULL
  ORDER BY n DESC, status
  RETURN collect({status: status, registrations: n}) AS statuses
}
CALL (regs) {
  UNWIND regs AS r
  MATCH (r)-[:PAID_BY]->(p:Payer)
  RETURN count(DISTINCT p) AS payers
}
CALL (regs) {
  UNWIND regs AS r
  WITH r WHERE EXISTS { (r)-[:PAID_BY]->(:Payer) }
  RETURN count(r) AS paid, sum(coalesce(toFloat(r.fee_yuan), 0.0)) AS fee_yuan
}
CALL (a) {
  OPTIONAL MATCH (a)-[:USES]->(:Payer)<-[:PAID_BY]-(r:Registration)
  RETURN count(DISTINCT r) AS by_own_payers
}
RETURN total,
       [first_booked_at.epochSeconds, first_booked_at.nanosecond, first_booked_at.offsetSeconds]
         AS first_booked_at,
       [last_booked_at.epochSeconds, last_booked_at.nanosecond, last_booked_at.offsetSeconds]
         AS last_booked_at,
       departments, doctors, hospitals, top_doctors, statuses,
       {count: with_latency, min: latency_min, p10: latency_p10, p50: latency_p50,
        p90: latency_p90, max: latency_max, mean: latency_mean, under_1s: under_1s}
         AS latency_ms,
       {paid: paid, payers: payers, by_own_payers: by_own_payers, fee_yuan: round(fee_yuan, 2)}
         AS payments
