-- Duplicate linking: what the linker knows of each record, its blocking keys, the links found
-- and the cluster each record belongs to, so that a harvest re-links only what it touched.

CREATE INDEX records_by_graph ON records(graph_iri);

CREATE TABLE dedup_records (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    graph_iri     TEXT NOT NULL UNIQUE,
    source_id     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,      -- the record's hash when it was summarised
    summary       TEXT NOT NULL,      -- JSON: title, description, publisher, identifiers, URLs…
    cluster_id    TEXT,               -- NULL when the record is linked to no other
    is_primary    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX dedup_records_by_cluster ON dedup_records(cluster_id);

-- Blocking keys (64-bit hashes of identifiers, URLs and title/description LSH bands).
CREATE TABLE dedup_keys (
    key     INTEGER NOT NULL,
    record  INTEGER NOT NULL,
    PRIMARY KEY (key, record)
) WITHOUT ROWID;
CREATE INDEX dedup_keys_by_record ON dedup_keys(record);

-- Pairs at the threshold or above; a < b.
CREATE TABLE dedup_links (
    a         INTEGER NOT NULL,
    b         INTEGER NOT NULL,
    score     REAL NOT NULL,
    evidence  TEXT NOT NULL,          -- JSON list of evidence items
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX dedup_links_by_b ON dedup_links(b);

-- The settings the links were computed with (threshold, source priorities): a change
-- recomputes everything.
CREATE TABLE dedup_settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
