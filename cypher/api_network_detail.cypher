// One current network's properties (links aside) and the members named in $uids (one page,
// chosen by the caller from the network's cached member order), with role, score, signals
// and evidence. Each member is one index lookup and one relationship.
MATCH (run:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
CALL (n) {
  UNWIND range(0, size($uids) - 1) AS i
  MATCH (e:Entity {uid: $uids[i]})-[m:MEMBER_OF]->(n)
  WITH i, e, m ORDER BY i
  RETURN collect({uid: e.uid, role: m.role, score: m.score, signals: m.signals,
                  evidence: m.evidence}) AS members
}
RETURN n {.id, run_id: run.id, .risk, .size, .signals, .hospitals, .first_seen, .last_seen, .status,
                 .closed_at} AS network,
       members
