// Connectivity check: the server answers a trivial query.
RETURN 1 AS one
