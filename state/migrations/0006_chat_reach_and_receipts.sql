-- What a messenger said about a chat, shared by every process (the Viber channel writes
-- it; any process reads it before sending a notification). (Conventions: 0001_init.sql.)

-- Whether the chat can be written to: Viber's subscribed / unsubscribed, or a send
-- refused because the person left (reachable 0). said_at is the messenger's own time of
-- the event: an older event delivered late (Viber retries callbacks for up to an hour)
-- never overrides a newer one. user_key is the messenger's id of the person, nothing
-- more; the row goes when it is older than the retention period and says "reachable".
CREATE TABLE chat_reach (
    channel   TEXT    NOT NULL,
    user_key  TEXT    NOT NULL,
    reachable INTEGER NOT NULL,
    said_at   BIGINT  NOT NULL,
    PRIMARY KEY (channel, user_key)
);

-- Delivery receipts of the notifications sent (outbox effects): the messenger's token of
-- each message and the furthest it got, ranked sent (0) < delivered, failed (1) < seen
-- (2). notice is the outbox effect's idempotency key. No personal data; forgotten after
-- the retention period.
CREATE TABLE message_receipts (
    channel       TEXT    NOT NULL,
    message_token TEXT    NOT NULL,
    notice        TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    rank          INTEGER NOT NULL,
    at            BIGINT  NOT NULL,
    PRIMARY KEY (channel, message_token)
);
CREATE INDEX message_receipts_by_notice ON message_receipts (notice);
CREATE INDEX message_receipts_by_at ON message_receipts (at);
