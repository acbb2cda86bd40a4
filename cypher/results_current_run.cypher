// The current analysis run, if any.
MATCH (r:AnalysisRun {current: true})
RETURN r {.*} AS run
