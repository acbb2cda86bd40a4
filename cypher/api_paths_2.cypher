// All shortest paths of at most 2 relationships between two entities, through the given
// relationship types only (a registration between two entities is two hops). The hop limit
// is part of the pattern so the search never runs deeper; api_paths_1..6 differ only in it.
MATCH (a:Entity {uid: $source}), (b:Entity {uid: $target})
MATCH p = allShortestPaths((a)-[*..2]-(b))
WHERE all(x IN relationships(p) WHERE type(x) IN $types)
WITH p LIMIT $limit
RETURN [n IN nodes(p) | CASE WHEN n:Registration
          THEN {registration: n {.key, .registration_id, .hospital, .department, .booked_at,
                                 .status}}
          ELSE {uid: n.uid} END] AS nodes,
       [i IN range(0, length(p) - 1) | {type: type(relationships(p)[i]),
          forward: startNode(relationships(p)[i]) = nodes(p)[i]}] AS relationships
