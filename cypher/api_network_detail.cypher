// One current network: its properties (links aside), member counts per role, and one page
// of its members ordered by tier (technician first), score and uid, optionally of one role.
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(:Entity)
  WITH m.role AS role, count(*) AS members
  RETURN collect({role: role, members: members}) AS roles
}
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(e:Entity)
  WHERE $role IS NULL OR m.role = $role
  WITH e, m
  ORDER BY CASE m.role WHEN 'technician' THEN 0 WHEN 'first_level' THEN 1
                       WHEN 'second_level' THEN 2 WHEN 'patient' THEN 3 ELSE 4 END,
           m.score DESC, e.uid
  SKIP $offset LIMIT $limit
  RETURN collect({uid: e.uid, role: m.role, score: m.score, signals: m.signals,
                  evidence: m.evidence}) AS members
}
RETURN n {.id, .run_id, .risk, .size, .signals, .hospitals, .first_seen, .last_seen} AS network,
       roles, members
