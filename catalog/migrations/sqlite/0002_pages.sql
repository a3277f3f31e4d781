-- What each listing page held the last time it was read with validators (ETag, Last-Modified),
-- so that a 304 Not Modified answer can count its records as seen without a body.
CREATE TABLE pages (
    source_id      TEXT NOT NULL REFERENCES sources(id),
    url            TEXT NOT NULL,
    etag           TEXT,
    last_modified  TEXT,
    record_keys    TEXT NOT NULL,   -- JSON array of the record keys on the page
    next_url       TEXT,            -- the page after it, as the listing said then
    fetched_at     TEXT NOT NULL,
    PRIMARY KEY (source_id, url)
);

-- Pages answered 304 Not Modified in a job.
ALTER TABLE jobs ADD COLUMN not_modified_pages INTEGER NOT NULL DEFAULT 0;

-- How many times the request of a page error was sent.
ALTER TABLE job_errors ADD COLUMN attempts INTEGER;
