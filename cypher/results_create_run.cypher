// Records an analysis run and makes it the current one.
CREATE (r:AnalysisRun {id: $run.id})
SET r.started_at = $run.started_at, r.ended_at = $run.ended_at, r.status = $run.status,
    r.params = $run.params, r.summary = $run.summary, r.current = true
RETURN r.id AS id
