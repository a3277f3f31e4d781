-- fedcat state database, first schema: sources, harvest jobs, records, job errors.
-- Times are RFC 3339 UTC text, so they sort and read the same in SQLite and PostgreSQL.

CREATE TABLE sources (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    url         TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id         TEXT NOT NULL REFERENCES sources(id),
    status            TEXT NOT NULL,          -- running | succeeded | partial | failed
    started_at        TEXT NOT NULL,
    finished_at       TEXT,
    heartbeat_at      TEXT,
    complete_listing  INTEGER NOT NULL DEFAULT 0,
    pages             INTEGER NOT NULL DEFAULT 0,
    added             INTEGER NOT NULL DEFAULT 0,
    updated           INTEGER NOT NULL DEFAULT 0,
    unchanged         INTEGER NOT NULL DEFAULT 0,
    deleted           INTEGER NOT NULL DEFAULT 0,
    failed            INTEGER NOT NULL DEFAULT 0,
    message           TEXT
);
CREATE INDEX jobs_by_source ON jobs(source_id, id);

CREATE TABLE records (
    source_id       TEXT NOT NULL REFERENCES sources(id),
    record_key      TEXT NOT NULL,
    graph_iri       TEXT NOT NULL,
    dataset_iri     TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    source_url      TEXT,
    first_seen_at   TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    last_seen_job   INTEGER NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    deleted_at      TEXT,
    deleted_by_job  INTEGER,
    PRIMARY KEY (source_id, record_key)
);
CREATE INDEX records_live_by_job ON records(source_id, deleted, last_seen_job);

CREATE TABLE job_errors (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      INTEGER NOT NULL REFERENCES jobs(id),
    source_id   TEXT NOT NULL,
    url         TEXT,
    record_key  TEXT,
    kind        TEXT NOT NULL,               -- page | record | job
    message     TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX job_errors_by_job ON job_errors(job_id);
