-- SQLite: processed_inbound becomes an ordinary (rowid) table with its key in an index of
-- its own. It was WITHOUT ROWID (one b-tree) while its rows were a key and a time; since
-- 0002 each row also holds the recorded reply (about 600 bytes), and a WITHOUT ROWID table
-- keeps its rows inside the key's b-tree: a page held five or six of them, a new message id
-- landed on a random page and split it every few inserts, and every commit rewrote a page
-- per message. Now the rows go to the end of the table and only the small key entries land
-- at random: half the pages, half the commit's work. PostgreSQL keeps its table as it is.
CREATE TABLE processed_inbound_rows ( -- only: sqlite
    channel    TEXT   NOT NULL, -- only: sqlite
    message_id TEXT   NOT NULL, -- only: sqlite
    at         BIGINT NOT NULL, -- only: sqlite
    reply      TEXT, -- only: sqlite
    PRIMARY KEY (channel, message_id) -- only: sqlite
); -- only: sqlite
INSERT INTO processed_inbound_rows (channel, message_id, at, reply) -- only: sqlite
    SELECT channel, message_id, at, reply FROM processed_inbound; -- only: sqlite
DROP TABLE processed_inbound; -- only: sqlite
ALTER TABLE processed_inbound_rows RENAME TO processed_inbound; -- only: sqlite
