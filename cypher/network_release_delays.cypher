// How soon after a release its bookings came: for the releases a member booked in (a
// hospital's slots opened at one instant: hospital and released_at; the $releases latest,
// at $hospital only when given), the bookings made in the day after each release, split
// into the network's (linked to a member of $id with a scalper role) and everyone else's,
// counted per delay bin (bin i: latency at or above i of the $bounds, in ms).
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
OPTIONAL MATCH (e:Entity {uid: $uid})
CALL (e) {
  CALL (e) {
    MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e)
    RETURN r
    UNION
    MATCH (r:Registration)-[:FOR]->(:Patient)-[:HAS_ID]->(e)
    RETURN r
  }
  WITH r WHERE r.released_at IS NOT NULL AND ($hospital IS NULL OR r.hospital = $hospital)
  WITH DISTINCT r.hospital AS hospital, r.released_at AS released_at
  ORDER BY released_at DESC, hospital
  LIMIT $releases
  RETURN collect({hospital: hospital, released_at: released_at}) AS releases
}
CALL (n, releases) {
  UNWIND releases AS rel
  MATCH (o:Registration)
  WHERE o.booked_at >= rel.released_at - duration({hours: 1})
    AND o.booked_at < rel.released_at + duration({days: 1})
    AND o.hospital = rel.hospital AND o.released_at = rel.released_at
    AND o.latency_ms IS NOT NULL
  WITH n, o, size([b IN $bounds WHERE o.latency_ms >= b]) AS bin
  WITH bin, EXISTS {
    MATCH (o)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(:Entity)
          -[m:MEMBER_OF]->(n)
    WHERE m.role IN ['technician', 'first_level', 'second_level']
  } AS network
  WITH network, bin, count(*) AS bookings
  RETURN collect({network: network, bin: bin, bookings: bookings}) AS counts
}
RETURN e IS NOT NULL AS found, [r IN releases | r.hospital] AS hospitals, counts
