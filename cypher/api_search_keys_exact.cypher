// Entities whose uid is exactly one of $uids (one index lookup each).
UNWIND $uids AS wanted
MATCH (e:Entity {uid: wanted})
RETURN e.uid AS uid, e.name AS name
LIMIT $limit
