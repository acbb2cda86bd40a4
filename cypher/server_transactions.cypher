// The server's open transactions (committing ones included), by the connection that opened them.
SHOW TRANSACTIONS YIELD connectionId
RETURN connectionId AS connection
