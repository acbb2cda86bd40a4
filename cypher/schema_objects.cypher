// Names of the constraints and indexes now in place (for status and tests).
SHOW CONSTRAINTS YIELD name
RETURN collect(name) AS names
