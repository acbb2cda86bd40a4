// The current networks other than $network_id that the entities $uids belong to: where
// members who left a confirmed network went.
UNWIND $uids AS uid
MATCH (e:Entity {uid: uid})-[m:MEMBER_OF]->(n:Network)<-[:FOUND]-(:AnalysisRun {current: true})
WHERE n.id <> $network_id
RETURN n.id AS network, count(e) AS members
ORDER BY members DESC, network
