// Detection over a window: the whole history of the payers named by node id (their yearly
// volume): bookings (from the relationship count) and first and last booking time.
UNWIND $ids AS i
MATCH (p:Payer) WHERE id(p) = i
CALL (p) {
  MATCH (p)<-[:PAID_BY]-(r:Registration)
  RETURN count(r) AS bookings, min(r.booked_at.epochMillis) AS first,
         max(r.booked_at.epochMillis) AS last
}
RETURN collect(i) AS ids, collect(bookings) AS bookings,
       collect(coalesce(first, $missing)) AS first, collect(coalesce(last, $missing)) AS last
