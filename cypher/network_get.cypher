// One current network with every member, its role, score, signals and evidence.
// Members are collected per node n, and n's properties projected only afterwards: grouping
// by the map `n {.*}` hashed the whole `links` text once per member (20 s for 7,000 members).
MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id})
OPTIONAL MATCH (e:Entity)-[m:MEMBER_OF]->(n)
WITH n, e, m ORDER BY m.score DESC, e.uid
WITH n, collect({uid: e.uid, role: m.role, score: m.score, signals: m.signals,
                 evidence: m.evidence}) AS members
RETURN n {.*} AS network, [x IN members WHERE x.uid IS NOT NULL] AS members
