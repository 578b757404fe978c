-- The updates the bot has handled, by Telegram's update_id: an update delivered again (the
-- bot restarted before Telegram heard the getUpdates offset that confirms it) is skipped.
-- Recorded in the same transaction as the update's first write; kept two days (Telegram keeps
-- an unconfirmed update for 24 hours).
CREATE TABLE handled_updates (
    update_id   INTEGER PRIMARY KEY,
    handled_at  TEXT NOT NULL CHECK (datetime(handled_at) IS NOT NULL)
) STRICT;

CREATE INDEX handled_updates_by_time ON handled_updates (handled_at);

-- Private chats that refused the bot's messages (403: blocked the bot, deactivated, chat not
-- found), since when and why: bulk sends skip them, missing lists show them as unreachable,
-- until the person writes to the bot again.
CREATE TABLE unreachable_chats (
    chat_id  INTEGER PRIMARY KEY,
    since    TEXT NOT NULL CHECK (datetime(since) IS NOT NULL),
    reason   TEXT NOT NULL
) STRICT;
