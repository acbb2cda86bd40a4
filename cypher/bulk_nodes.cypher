// Whether the database holds any node (a bulk load needs an empty one).
MATCH (n) WITH n LIMIT 1
RETURN count(n) AS nodes
