// Ends a page session (sign-out, or found expired).
MATCH (s:PageSession {id: $id})
DETACH DELETE s
RETURN count(*) AS ended
