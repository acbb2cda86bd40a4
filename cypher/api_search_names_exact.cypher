// Patients and escort agents named exactly $text.
CALL () {
  MATCH (e:Patient {name: $text}) RETURN e LIMIT $limit
  UNION
  MATCH (e:EscortAgent {name: $text}) RETURN e LIMIT $limit
}
RETURN e.uid AS uid, e.name AS name
