// The current networks an entity belongs to, with its role and score there.
MATCH (e:Entity {uid: $uid})-[m:MEMBER_OF]->(n:Network)<-[:FOUND]-(:AnalysisRun {current: true})
RETURN n.id AS network, n.risk AS risk, m.role AS role, m.score AS score,
       m.signals AS signals, m.evidence AS evidence
ORDER BY n.risk DESC
