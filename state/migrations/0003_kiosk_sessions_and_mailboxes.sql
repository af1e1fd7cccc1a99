-- What the server processes used to keep in memory, now shared by all of them: the kiosk
-- sessions and the web chat mailboxes. (Conventions: see 0001_init.sql.)

-- Who stands at which kiosk. screen (JSON of what the page shows) and last_request (the
-- last message, to recognise its repeat) may quote what the person typed: the row lives
-- until the wipe (the page's own, or the server's sweep of sessions silent past idle +
-- countdown + grace).
CREATE TABLE kiosk_sessions (
    token         TEXT    NOT NULL PRIMARY KEY,
    hall          TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    user_key      TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    language      TEXT,
    screen        TEXT,
    last_request  TEXT,
    last_seen     BIGINT  NOT NULL,
    UNIQUE (channel, user_key)
);
CREATE INDEX kiosk_sessions_by_last_seen ON kiosk_sessions (last_seen);

-- A web chat session's mailbox: last_id numbers its items (the row is locked while one is
-- added, so ids are given and committed in order). Forgotten a day after its last use.
CREATE TABLE mailboxes (
    token      TEXT   NOT NULL PRIMARY KEY,
    last_id    BIGINT NOT NULL,
    language   TEXT,
    touched_at BIGINT NOT NULL
);
CREATE INDEX mailboxes_by_touched ON mailboxes (touched_at);

-- The last items of each mailbox (what the page shows after a reload). notice: the
-- notification's idempotency key, so a notification delivered twice is kept once.
CREATE TABLE mailbox_items (
    token  TEXT   NOT NULL,
    id     BIGINT NOT NULL,
    notice TEXT,
    item   TEXT   NOT NULL,
    PRIMARY KEY (token, id),
    UNIQUE (token, notice)
);

-- Which items answered which browser message: a retry of the message gets them again.
CREATE TABLE mailbox_replies (
    token     TEXT   NOT NULL,
    client_id TEXT   NOT NULL,
    first_id  BIGINT NOT NULL,
    last_id   BIGINT NOT NULL,
    PRIMARY KEY (token, client_id)
);
