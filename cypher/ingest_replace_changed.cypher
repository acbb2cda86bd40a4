// A stored registration whose content changed is removed with its links; the batch then
// creates it again from the new row (nothing points at a Registration, so nothing else moves).
UNWIND $keys AS key
MATCH (r:Registration {key: key})
DETACH DELETE r
