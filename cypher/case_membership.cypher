// What a case's comparison is made of: the members and roles kept when it was confirmed,
// and the members and roles of its network in the current run (none when it is gone).
MATCH (c:Case {network_id: $network_id})
OPTIONAL MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: c.network_id})
CALL (c) {
  OPTIONAL MATCH (c)-[s:CONFIRMED_MEMBER]->(e:Entity)
  RETURN [x IN collect([e.uid, s.role]) WHERE x[0] IS NOT NULL] AS confirmed
}
CALL (n) {
  OPTIONAL MATCH (n)<-[m:MEMBER_OF]-(e:Entity)
  RETURN [x IN collect([e.uid, m.role]) WHERE x[0] IS NOT NULL] AS current
}
RETURN n IS NOT NULL AS present, confirmed, current
