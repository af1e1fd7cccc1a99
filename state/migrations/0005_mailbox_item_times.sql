-- When each web-chat item was posted: the purge erases what is older than the retention
-- limit even in a mailbox that is still in use (an officer's, every day).
ALTER TABLE mailbox_items ADD COLUMN at BIGINT NOT NULL DEFAULT 0;
