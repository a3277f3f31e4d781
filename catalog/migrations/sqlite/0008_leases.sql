-- Leases: which process runs what (a harvest of one source at a time), kept in the database so
-- that several processes sharing it exclude each other, not only tasks of one process. A lease
-- whose time has passed is free: a holder that died does not block the work for ever.
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
