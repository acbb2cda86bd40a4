// One-hop neighbourhood of entities in the entity graph, where a shared registration is
// the link: every entity on the same registrations (scanning at most $scan of them), plus
// direct entity links (Patient-HAS_ID-IDCard, EscortAgent-HAS_PHONE-Phone). Returns per
// uid of $uids that names an entity: its registration total (degree counts), per
// relationship type the distinct entities and registrations, and the $limit neighbours
// sharing most registrations (times as ISO text: hydrating thousands of zoned datetimes in
// the driver costs more than the query). Several expansions share one round trip.
UNWIND $uids AS uid
MATCH (e:Entity {uid: uid})
WITH uid, e, COUNT { ()-[:FOR|CONTACT|FROM_IP|ON_DEVICE|BY_ACCOUNT|PAID_BY|VIA_AGENT]->(e) }
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
WITH uid, total, type, n, shared, first, last
ORDER BY shared DESC, n.uid
WITH uid, total, collect(CASE WHEN n IS NOT NULL THEN
  {type: type, uid: n.uid, shared: shared, first: toString(first), last: toString(last)} END)
  AS items
RETURN uid, total, items[..$limit] AS top, size(items) AS found,
       [t IN $types | {type: t, entities: size([x IN items WHERE x.type = t]),
                       registrations: reduce(s = 0, x IN items |
                                             s + CASE WHEN x.type = t THEN x.shared ELSE 0 END)}
       ] AS rows
