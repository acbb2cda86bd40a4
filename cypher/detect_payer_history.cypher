// Detection over a window: the first and last booking time (epoch ms) in the whole history
// of the payers named by node id (those that also paid before the window).
UNWIND $ids AS i
MATCH (p:Payer) WHERE id(p) = i
CALL (p) {
  MATCH (p)<-[:PAID_BY]-(r:Registration)
  RETURN min(r.booked_at.epochMillis) AS first, max(r.booked_at.epochMillis) AS last
}
RETURN collect(i) AS ids, collect(coalesce(first, $missing)) AS first,
       collect(coalesce(last, $missing)) AS last
