// Waits (up to 300 s) until every index is online, so writes that follow use them.
CALL db.awaitIndexes(300)
