-- The print worker asks in one read which printers have something to do (a job being
-- printed, or a due job at the head of a queue) instead of trying a claim on each printer
-- at every wake-up. Those jobs are few, the printed ones many: an index of the few only.
-- A query uses it when it repeats this exact condition (SQLite's rule for partial indexes).
-- (Conventions: 0001_init.sql.)
CREATE INDEX IF NOT EXISTS print_jobs_pending ON print_jobs (status, printer)
    WHERE status IN ('queued', 'printing');
