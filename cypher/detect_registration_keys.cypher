// Detection: the keys of registrations named by internal node id (evidence samples).
UNWIND $ids AS i
MATCH (r:Registration) WHERE id(r) = i
RETURN collect(id(r)) AS ids, collect(r.key) AS keys
