// How many nightly passes are recorded.
MATCH (p:NightlyPass)
RETURN count(p) AS total
