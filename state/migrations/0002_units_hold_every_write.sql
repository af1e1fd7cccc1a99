-- Every write of a message is in its unit: the reply is recorded with the inbound id (so a
-- redelivered message gets the same answer again), and tickets carry a version so that a
-- change is applied only to the ticket as it was read.
ALTER TABLE processed_inbound ADD COLUMN reply TEXT;
ALTER TABLE tickets ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
