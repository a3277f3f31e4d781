-- Metadata quality: what the first bytes of each downloaded distribution file say (format
-- sniffed, syntax, digests), kept for the last download of each URL.

CREATE TABLE file_samples (
    url            TEXT PRIMARY KEY,
    checked_at     TEXT NOT NULL,
    status         INTEGER NOT NULL,
    bytes_read     INTEGER,
    complete       INTEGER,          -- 1: the file ended within the byte budget
    sniffed        TEXT,             -- EU file-type code
    syntax_valid   INTEGER,          -- NULL: not checkable (format, or a partial read)
    syntax_error   TEXT,
    external_links INTEGER,          -- RDF files: IRIs on other hosts
    md5            TEXT,
    sha1           TEXT,
    sha256         TEXT,
    error          TEXT
);
