// A stored registration whose content changed loses its old links; they are re-made from the new row.
UNWIND $keys AS key
MATCH (r:Registration {key: key})-[link]->()
DELETE link
