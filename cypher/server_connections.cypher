// The server's open network connections, each with the user agent its driver gave
// (a ScalperNet process names its host, pid and start time there).
CALL dbms.listConnections() YIELD connectionId, userAgent
RETURN connectionId AS connection, userAgent AS agent
