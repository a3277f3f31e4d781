-- Value-level repair: a record is kept when one of its values is bad; the value is repaired
-- (an IRI percent-encoded as a browser would, a date retyped…) or dropped with its property.
-- A job counts both, beside the records it rejected whole (no usable identity).

ALTER TABLE jobs ADD COLUMN records_repaired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN values_repaired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN values_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN records_rejected INTEGER NOT NULL DEFAULT 0;

-- What was repaired or dropped in each stored record, as last mapped: replaced whenever the
-- record is read again, removed with the record. `fedcat report mapping` counts it per source.
CREATE TABLE record_value_issues (
    source_id   TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    action      TEXT NOT NULL,               -- repaired | dropped
    property    TEXT NOT NULL,               -- the predicate IRI (or "subject")
    rule        TEXT NOT NULL,               -- what was done, e.g. iri-percent-encoded
    value       TEXT NOT NULL,               -- the portal's value (at most 300 characters)
    job_id      INTEGER NOT NULL
);
CREATE INDEX record_value_issues_by_record ON record_value_issues(source_id, record_key);
