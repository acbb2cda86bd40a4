// The hospitals of a current network (n.hospitals) that each of its members booked at: the
// hospitals of the registrations linked to the member (a patient's through its patient
// record too), as the entity's timeline serves them.
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
MATCH (n)<-[:MEMBER_OF]-(e:Entity)
CALL (e, n) {
  CALL (e) {
    MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e)
    RETURN r.hospital AS hospital
    UNION
    MATCH (r:Registration)-[:FOR]->(:Patient)-[:HAS_ID]->(e)
    RETURN r.hospital AS hospital
  }
  WITH hospital WHERE hospital IN n.hospitals
  RETURN collect(hospital) AS hospitals
}
RETURN e.uid AS uid, hospitals
