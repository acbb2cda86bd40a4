// How many analysis runs are recorded.
MATCH (r:AnalysisRun)
RETURN count(r) AS total
