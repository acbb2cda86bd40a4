// One-hop neighbourhood of an entity in the entity graph, where a shared registration is
// the link: every entity on the same registrations (scanning at most $scan of them), plus
// direct entity links (Patient-HAS_ID-IDCard, EscortAgent-HAS_PHONE-Phone). One row per
// relationship type: distinct entities, registrations, and the top $limit by shared count;
// with the entity's registration total (degree counts). No row when the uid is unknown.
MATCH (e:Entity {uid: $uid})
WITH e, COUNT { ()-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e) }
        + COUNT { (:Registration)-[:FOR]->(:Patient)-[:HAS_ID]->(e) } AS total
OPTIONAL CALL (e) {
  CALL (e) {
    MATCH (r:Registration)-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e)
    RETURN r
    UNION
    MATCH (r:Registration)-[:FOR]->(:Patient)-[:HAS_ID]->(e)
    RETURN r
  }
  WITH r LIMIT $scan
  MATCH (r)-[rel]->(n:Entity)
  WHERE n <> e AND type(rel) IN $types AND split(n.uid, ':')[0] IN $kinds
  RETURN type(rel) AS type, n, count(r) AS shared, min(r.booked_at) AS first,
         max(r.booked_at) AS last
  UNION ALL
  MATCH (e)-[rel:HAS_ID|HAS_PHONE]-(n:Entity)
  WHERE type(rel) IN $types AND split(n.uid, ':')[0] IN $kinds
  RETURN type(rel) AS type, n, 0 AS shared, null AS first, null AS last
}
WITH total, type, n, shared, first, last
ORDER BY shared DESC, n.uid
WITH total, type, count(n) AS entities, sum(shared) AS registrations,
     collect({uid: n.uid, shared: shared, first: first, last: last})[..$limit] AS top
ORDER BY entities DESC, type
RETURN total, collect(CASE WHEN type IS NOT NULL THEN
  {type: type, entities: entities, registrations: registrations, top: top} END) AS rows
