// What a network's tier tree is built from: its stored member-to-member links and the role
// of every member that is not a patient (the rest of the link ends are patients).
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
CALL (n) {
  MATCH (n)<-[m:MEMBER_OF]-(e:Entity)
  WHERE m.role <> 'patient'
  RETURN collect([e.uid, m.role]) AS core
}
RETURN n.run_id AS run_id, n.links AS links, core
