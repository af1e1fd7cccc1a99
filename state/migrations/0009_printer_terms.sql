-- A printer's owner can be stalled and still alive: its lease runs out while it sends, and
-- another process takes the printer over. Each hold of a lease is a term with a number
-- that never repeats (a fencing token): a print job carries the term it was claimed in,
-- and its outcome is written only while that term is the lease's current one.
-- (Conventions: 0001_init.sql.)

-- The current term's number, and until when its holder must not act yet: a previous
-- holder that lost the lease without releasing it may still be finishing until then.
ALTER TABLE leases ADD COLUMN term BIGINT NOT NULL DEFAULT 0;
ALTER TABLE leases ADD COLUMN fenced_until BIGINT NOT NULL DEFAULT 0;

-- The term in which the job was claimed (with claimed_by, the process).
ALTER TABLE print_jobs ADD COLUMN claim_term BIGINT;
