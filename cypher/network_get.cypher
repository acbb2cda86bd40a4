// One current network with every member, its role, score, signals and evidence.
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
OPTIONAL MATCH (e:Entity)-[m:MEMBER_OF]->(n)
WITH n, e, m ORDER BY m.score DESC, e.uid
RETURN n {.*} AS network,
       [x IN collect({uid: e.uid, role: m.role, score: m.score, signals: m.signals,
                      evidence: m.evidence}) WHERE x.uid IS NOT NULL] AS members
