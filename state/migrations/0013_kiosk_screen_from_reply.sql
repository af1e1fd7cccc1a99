-- A kiosk session's screen is no longer kept in its row: it is the reply recorded with the
-- session's last message (processed_inbound), which the message's unit writes anyway. The
-- session row moves on in that same unit (seq, language, last request, last seen), so a
-- step costs one commit and no second copy of the screen. (Conventions: see 0001_init.sql.)
ALTER TABLE kiosk_sessions DROP COLUMN screen;
