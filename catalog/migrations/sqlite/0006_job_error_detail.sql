-- What only administrators see of a job error: the start of a response body, kept out of the
-- public message (a body may come from an address the public must not read). NULL when the
-- error has no detail.

ALTER TABLE job_errors ADD COLUMN detail TEXT;

-- Errors recorded before this migration carried the excerpt in their message, as
-- `… (body starts with: "…")`: move it to the detail.
UPDATE job_errors
SET detail = substr(message, instr(message, ' (body starts with: ') + 2,
                    length(message) - instr(message, ' (body starts with: ') - 2),
    message = substr(message, 1, instr(message, ' (body starts with: ') - 1)
WHERE instr(message, ' (body starts with: ') > 0;
