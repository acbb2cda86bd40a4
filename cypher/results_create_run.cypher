// Records an analysis run, not yet current: its results are written beside the current
// ones, then results_switch makes it current in one small transaction.
CREATE (r:AnalysisRun {id: $run.id})
SET r.started_at = $run.started_at, r.ended_at = $run.ended_at, r.status = 'writing',
    r.params = $run.params, r.summary = $run.summary, r.current = false
RETURN r.id AS id
