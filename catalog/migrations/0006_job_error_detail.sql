-- What only administrators see of a job error: the start of a response body, kept out of the
-- public message (a body may come from an address the public must not read). NULL when the
-- error has no detail, and for every error recorded before this migration.

ALTER TABLE job_errors ADD COLUMN detail TEXT;
