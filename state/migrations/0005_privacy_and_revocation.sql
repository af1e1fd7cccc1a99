-- Nothing personal outlives its purpose; revoked means revoked (issue 10).
-- (Conventions: see 0001_init.sql. Bodies of triggers and functions: see state/migrate.py.)

-- The audit log is append-only in the database itself: UPDATE and DELETE are refused,
-- whoever asks. The purge never touches it, so it holds references only, never personal
-- data.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log -- only: sqlite
BEGIN -- only: sqlite
    SELECT RAISE(ABORT, 'audit_log is append-only'); -- only: sqlite
END; -- only: sqlite
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log -- only: sqlite
BEGIN -- only: sqlite
    SELECT RAISE(ABORT, 'audit_log is append-only'); -- only: sqlite
END; -- only: sqlite
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ -- only: postgres
BEGIN -- only: postgres
    RAISE EXCEPTION 'audit_log is append-only'; -- only: postgres
END -- only: postgres
$$; -- only: postgres
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log -- only: postgres
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only(); -- only: postgres
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log -- only: postgres
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only(); -- only: postgres

-- Supervisors see who holds which registration of their hall and can release any of them.
ALTER TABLE officers ADD COLUMN supervisor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE officer_invites ADD COLUMN supervisor INTEGER NOT NULL DEFAULT 0;

-- Wrong enrollment codes, per chat (scope: "chat:" and a hash of the chat, never the chat
-- itself) and for everyone ("everyone"). A row is changed only as it was read (failures
-- and last_at); forgotten a day after its last failure.
CREATE TABLE enrollment_failures (
    scope         TEXT    NOT NULL PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_at       BIGINT  NOT NULL,
    blocked_until BIGINT  NOT NULL
);

-- Web chat sessions, given by the server only. token_hash: SHA-256 of the id in the
-- browser's cookie (the id itself is never stored). user_key: the conversation's key,
-- never sent to the browser; NULL once the id was replaced (an officer enrolled), so the
-- old id is refused until the row is forgotten.
CREATE TABLE webchat_sessions (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    user_key   TEXT,
    created_at BIGINT NOT NULL,
    touched_at BIGINT NOT NULL
);
CREATE INDEX webchat_sessions_by_touched ON webchat_sessions (touched_at);
CREATE INDEX webchat_sessions_by_user ON webchat_sessions (user_key);

-- When each web chat item was posted: what a page was told is kept a day, even in a chat
-- still in use (an officer's screens quote the JMBG of the registration they review).
ALTER TABLE mailbox_items ADD COLUMN posted_at BIGINT;
