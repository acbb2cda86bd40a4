// Names of the indexes now in place, those backing uniqueness constraints included (tests).
SHOW INDEXES YIELD name
RETURN collect(name) AS names
