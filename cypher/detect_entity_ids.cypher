// Detection: internal node ids of entities named by uid (allow-list entries).
UNWIND $uids AS u
MATCH (e:Entity {uid: u})
RETURN collect(id(e)) AS ids, collect(e.uid) AS uids
