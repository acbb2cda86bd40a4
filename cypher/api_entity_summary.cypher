// Entities with a summary of their registrations: counts, first/last booking, hospitals,
// statuses and booking latency (booked − released), and the current networks each belongs
// to with its role there. An ID card's registrations are those of its patients. One row
// per uid of $uids that names an entity (several lookups share one round trip). First and
// last booking come as [epoch seconds, nanosecond, offset seconds]: the driver's hydration of
// zoned datetimes cost as much CPU as the rest of the row.
UNWIND $uids AS uid
MATCH (e:Entity {uid: uid})
OPTIONAL CALL (e) {
  MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e)
  RETURN r
  UNION
  MATCH (r:Registration)-[:FOR]->(:Patient)-[:HAS_ID]->(e)
  RETURN r
}
WITH uid, e, collect(r) AS regs
CALL (regs) {
  UNWIND regs AS r
  RETURN count(r) AS total, min(r.booked_at) AS first_booked_at,
         max(r.booked_at) AS last_booked_at, count(DISTINCT r.department) AS departments,
         count(DISTINCT r.doctor) AS doctors,
         count(r.latency_ms) AS with_latency, min(r.latency_ms) AS latency_min,
         percentileDisc(r.latency_ms, 0.1) AS latency_p10,
         percentileDisc(r.latency_ms, 0.5) AS latency_p50,
         percentileDisc(r.latency_ms, 0.9) AS latency_p90,
         max(r.latency_ms) AS latency_max, avg(r.latency_ms) AS latency_mean,
         sum(CASE WHEN r.latency_ms < 1000 THEN 1 ELSE 0 END) AS under_1s
}
CALL (regs) {
  UNWIND regs AS r
  WITH r.hospital AS hospital, count(*) AS n
  ORDER BY n DESC, hospital
  RETURN collect({hospital: hospital, registrations: n}) AS hospitals
}
CALL (regs) {
  UNWIND regs AS r
  WITH r.status AS status, count(*) AS n
  ORDER BY n DESC, status
  RETURN collect({status: status, registrations: n}) AS statuses
}
CALL (e) {
  OPTIONAL MATCH (e)-[m:MEMBER_OF]->(n:Network)<-[:FOUND]-(:AnalysisRun {current: true})
  WITH m, n ORDER BY n.risk DESC, n.id
  RETURN collect(CASE WHEN n IS NOT NULL THEN
    {network: n.id, risk: n.risk, role: m.role, score: m.score, signals: m.signals,
     evidence: m.evidence} END) AS networks
}
RETURN uid, e {.*} AS entity, networks, total,
       [first_booked_at.epochSeconds, first_booked_at.nanosecond, first_booked_at.offsetSeconds]
         AS first_booked_at,
       [last_booked_at.epochSeconds, last_booked_at.nanosecond, last_booked_at.offsetSeconds]
         AS last_booked_at,
       departments, doctors,
       hospitals, statuses,
       {count: with_latency, min: latency_min, p10: latency_p10, p50: latency_p50,
        p90: latency_p90, max: latency_max, mean: latency_mean, under_1s: under_1s} AS latency_ms
