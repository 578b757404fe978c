-- Admins granted in chat (/grantadmin), besides the GRIDBOT_ADMINS of the environment.
-- A grant names a Telegram id, or a @username whose id is filled in the first time that
-- user talks to the bot. Grants are revoked, never deleted.

CREATE TABLE admin_grants (
    id           INTEGER PRIMARY KEY,
    telegram_id  INTEGER CHECK (telegram_id > 0),
    username     TEXT COLLATE NOCASE CHECK (username IS NULL OR username <> ''),
    granted_at   TEXT NOT NULL CHECK (datetime(granted_at) IS NOT NULL),
    granted_by   INTEGER NOT NULL,
    revoked_at   TEXT CHECK (revoked_at IS NULL OR datetime(revoked_at) IS NOT NULL),
    revoked_by   INTEGER,
    CHECK (telegram_id IS NOT NULL OR username IS NOT NULL),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
) STRICT;
CREATE UNIQUE INDEX admin_grants_active_id ON admin_grants (telegram_id)
    WHERE revoked_at IS NULL AND telegram_id IS NOT NULL;
CREATE UNIQUE INDEX admin_grants_active_username ON admin_grants (username)
    WHERE revoked_at IS NULL AND username IS NOT NULL;
