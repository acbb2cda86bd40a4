// Detection over a window: how many bookings each payer named by node id paid in its whole
// history (from the relationship count, no booking read).
UNWIND $ids AS i
MATCH (p:Payer) WHERE id(p) = i
RETURN collect(i) AS ids, collect(COUNT { (p)<-[:PAID_BY]-() }) AS bookings
