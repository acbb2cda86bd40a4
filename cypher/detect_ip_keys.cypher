// Detection: every IP with its key (to match allow-listed address ranges).
MATCH (e:IP)
RETURN collect(id(e)) AS ids, collect(e.key) AS keys
