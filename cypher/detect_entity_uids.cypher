// Detection: the uid of each entity named by internal node id (only the members found).
UNWIND $ids AS i
MATCH (e:Entity) WHERE id(e) = i
RETURN collect(id(e)) AS ids, collect(e.uid) AS uids
