// Retires the current analysis results: the old run stays as history, its networks go.
OPTIONAL MATCH (old:AnalysisRun {current: true})
SET old.current = false
WITH count(old) AS retired
OPTIONAL MATCH (a:Actor)
DETACH DELETE a
WITH retired, count(a) AS actors_deleted
OPTIONAL MATCH (n:Network)
DETACH DELETE n
RETURN retired, actors_deleted, count(n) AS networks_deleted
