-- What the last quality assessment of each record found, so that a snapshot re-assesses only
-- the records that changed (content, settings or link checks, or a date-bound value due) and
-- computes a producer's indicators from these rows instead of from every record graph.
CREATE TABLE quality_memos (
    source_id TEXT NOT NULL,
    record_key TEXT NOT NULL,
    -- The record's content hash when it was assessed.
    content_hash TEXT NOT NULL,
    -- The fingerprint of everything else the assessment read: shapes, score table, options,
    -- link checks and file samples.
    inputs TEXT NOT NULL,
    -- The first day (YYYY-MM-DD) a value measured against the day may differ; NULL: none.
    recheck_on TEXT,
    publisher TEXT,
    -- The dataset's part of the indicators (JSON); NULL for a record without a dataset.
    tally TEXT,
    PRIMARY KEY (source_id, record_key)
);
