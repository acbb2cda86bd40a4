// Patients and escort agents whose name starts with $text, in name order.
CALL () {
  MATCH (e:Patient) WHERE e.name STARTS WITH $text
  RETURN e ORDER BY e.name LIMIT $limit
  UNION
  MATCH (e:EscortAgent) WHERE e.name STARTS WITH $text
  RETURN e ORDER BY e.name LIMIT $limit
}
RETURN e.uid AS uid, e.name AS name
