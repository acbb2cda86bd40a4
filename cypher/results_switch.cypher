// Makes the run $run_id current (its results are fully written) and retires the previous
// one, which stays as history; readers see the old results or the new, never a mix.
MATCH (new:AnalysisRun {id: $run_id})
OPTIONAL MATCH (old:AnalysisRun {current: true})
SET old.current = false
SET new.current = true, new.status = $status
WITH count(old) AS retired
// a run whose writing failed half-way never became current: say so
OPTIONAL MATCH (left:AnalysisRun {status: 'writing'})
WHERE left.id <> $run_id
SET left.status = 'abandoned'
RETURN retired, count(left) AS abandoned
