-- A notice is delivered once across processes that may die at any moment, and one chat's
-- notices go out in order. (Conventions: see 0001_init.sql.)

-- The chat a notification is for ("channel:user_key", as its outbound names it; NULL for
-- other effects, and once the payload is erased): only the oldest pending notice of a
-- chat can be claimed, so a later one waits while an earlier one is on its way or backs
-- off, whichever process holds it.
ALTER TABLE outbox ADD COLUMN recipient TEXT;
UPDATE outbox SET recipient = json_extract(payload, '$.outbound.channel') || ':' || json_extract(payload, '$.outbound.user_key') WHERE kind = 'notify'; -- only: sqlite
UPDATE outbox SET recipient = (payload::json -> 'outbound' ->> 'channel') || ':' || (payload::json -> 'outbound' ->> 'user_key') WHERE kind = 'notify' AND payload <> '{}'; -- only: postgres
CREATE INDEX outbox_chat_queue ON outbox (recipient, id) WHERE status = 'pending';

-- A notification is one or more messages (a long text, a QR picture). sent_parts: how
-- many the messenger accepted. sending_by: the process that is handing message number
-- sent_parts to a messenger that cannot tell a repeat (Telegram, Viber), written in a
-- commit of its own just before the send and cleared when the outcome is known. A
-- process that takes the notice over and finds sending_by set cannot know whether that
-- message arrived: the notice says what to do then (ecitizen/outbox.py). Status
-- 'uncertain': such a notice, not sent again.
ALTER TABLE outbox ADD COLUMN sent_parts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN sending_by TEXT;

-- Which notices each web chat mailbox was given (their idempotency keys), kept apart
-- from the items: a mailbox keeps only its last items, and a notice posted again after
-- its first copy left them must still be refused. Forgotten with the items, a day on.
CREATE TABLE mailbox_notices (
    token     TEXT   NOT NULL,
    notice    TEXT   NOT NULL,
    posted_at BIGINT NOT NULL,
    PRIMARY KEY (token, notice)
);
CREATE INDEX mailbox_notices_by_posted ON mailbox_notices (posted_at);
