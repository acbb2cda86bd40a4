// Entities whose uid starts with one of $prefixes ('<kind>:<start of key>'), at most
// $limit per prefix, in uid order (index range seeks).
UNWIND $prefixes AS prefix
CALL (prefix) {
  MATCH (e:Entity)
  WHERE e.uid STARTS WITH prefix
  RETURN e ORDER BY e.uid LIMIT $limit
}
RETURN e.uid AS uid, e.name AS name
