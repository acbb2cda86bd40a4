// bench/bench_write_floor.py: entities made beforehand, $label nodes keyed by $keys.
UNWIND $keys AS key
CREATE (n:$($label) {key: key})
SET n:Entity, n.uid = $prefix + key
