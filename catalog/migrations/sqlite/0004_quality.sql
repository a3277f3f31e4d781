-- Metadata quality: each producer's openness indicators after every harvest (a time series),
-- per source and per publisher within it, and every link check (results and history).

CREATE TABLE indicator_snapshots (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id   TEXT NOT NULL,
    publisher   TEXT,               -- NULL: the whole source
    taken_at    TEXT NOT NULL,      -- RFC 3339 UTC
    indicators  TEXT NOT NULL       -- JSON
);
CREATE INDEX indicator_snapshots_by_source ON indicator_snapshots(source_id, taken_at);

CREATE TABLE link_checks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    url           TEXT NOT NULL,
    checked_at    TEXT NOT NULL,
    head_status   INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    redirects     TEXT NOT NULL,    -- JSON list of [status, location]
    content_type  TEXT,
    content_length INTEGER,         -- of the HEAD answer
    error         TEXT
);
CREATE INDEX link_checks_by_url ON link_checks(url, checked_at);
