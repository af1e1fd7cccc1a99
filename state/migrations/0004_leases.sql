-- Every process is a peer: what one process holds (a printer, the purge, Telegram polling)
-- is a lease row here, and work in progress names the process that claimed it.

-- One row per named lease; the owner holds it until expires_at (store clock), renewing it
-- while it works. An expired lease is free for anyone to take.
CREATE TABLE leases (
    name        TEXT   NOT NULL PRIMARY KEY,
    owner       TEXT   NOT NULL,
    expires_at  BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL
);

-- The process that claimed a print job or an effect: only it may mark the outcome, and
-- start-up only turns "uncertain" the jobs of a process whose printer lease is dead.
ALTER TABLE print_jobs ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

-- A printer's queue in the order its slips come out: the claim reads only its head.
CREATE INDEX print_jobs_queue ON print_jobs (printer, status, created_at, id);

-- Each printer as its owner last found it, so every process and kiosk sees one condition,
-- and a new owner goes on with the same backoff.
CREATE TABLE printer_states (
    printer    TEXT    NOT NULL PRIMARY KEY,
    condition  TEXT    NOT NULL,
    attention  TEXT,
    failures   INTEGER NOT NULL DEFAULT 0,
    updated_at BIGINT  NOT NULL
);
