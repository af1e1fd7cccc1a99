-- A messenger's bot-wide limit (Telegram: about 30 messages a second) holds for the bot,
-- however many processes send for it: each send takes a token of a short time slice here
-- (state/send_slots.py). A ring of rows per bot, reused as time goes on, so the table
-- never grows. Unlogged: the counts are worth nothing after a crash, and a commit that
-- writes only them waits for no disk. SQLite is served by one process and counts in memory.
CREATE UNLOGGED TABLE send_slots (   -- only: postgres
    bot    TEXT    NOT NULL,         -- only: postgres
    ring   INTEGER NOT NULL,         -- only: postgres
    slice  BIGINT  NOT NULL,         -- only: postgres
    used   INTEGER NOT NULL,         -- only: postgres
    taken  INTEGER NOT NULL,         -- only: postgres
    PRIMARY KEY (bot, ring)          -- only: postgres
);                                   -- only: postgres
