// Retires the current analysis results: the old run stays as history, its networks go.
OPTIONAL MATCH (old:AnalysisRun {current: true})
SET old.current = false
WITH count(old) AS retired
OPTIONAL MATCH (n:Network)
DETACH DELETE n
RETURN retired, count(n) AS networks_deleted
