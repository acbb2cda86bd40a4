// The id of the analysis run whose results are served (none before the first analysis).
MATCH (r:AnalysisRun {current: true})
RETURN r.id AS id
