-- gridbot schema, version 1.
-- Conventions: every table is STRICT; timestamps are TEXT ISO-8601 in UTC with offset
-- ("2024-05-01T09:00:00+00:00"); days are TEXT ISO dates; booleans are INTEGER 0/1;
-- JSON columns are checked with json_valid. Nothing user-made is deleted: workers and
-- grids are deactivated, invites revoked, reports get new versions.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The area tree (街道 → 社区 → …); path is the full "/"-joined name, e.g. 学院南路街道/前进社区.
CREATE TABLE areas (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES areas (id),
    name       TEXT NOT NULL CHECK (name <> ''),
    path       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL)
) STRICT;

CREATE TABLE grids (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name        TEXT NOT NULL CHECK (name <> ''),
    area_id     INTEGER NOT NULL REFERENCES areas (id),
    households  INTEGER CHECK (households >= 0),
    population  INTEGER CHECK (population >= 0),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL),
    updated_at  TEXT NOT NULL CHECK (datetime(updated_at) IS NOT NULL)
) STRICT;
CREATE INDEX grids_area ON grids (area_id);

-- origin: 'roster' rows come from the roster file and are managed by imports;
-- 'invite' rows were created by someone joining through a grid's invite link.
CREATE TABLE workers (
    id           INTEGER PRIMARY KEY,
    grid_id      INTEGER NOT NULL REFERENCES grids (id),
    name         TEXT NOT NULL CHECK (name <> ''),
    username     TEXT COLLATE NOCASE,
    telegram_id  INTEGER CHECK (telegram_id > 0),
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    origin       TEXT NOT NULL CHECK (origin IN ('roster', 'invite')),
    bound_via    TEXT CHECK (bound_via IN ('roster_id', 'username', 'invite')),
    bound_at     TEXT CHECK (bound_at IS NULL OR datetime(bound_at) IS NOT NULL),
    created_at   TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL),
    updated_at   TEXT NOT NULL CHECK (datetime(updated_at) IS NOT NULL),
    CHECK ((telegram_id IS NULL) = (bound_via IS NULL)),
    CHECK ((telegram_id IS NULL) = (bound_at IS NULL))
) STRICT;
CREATE INDEX workers_grid ON workers (grid_id);
-- One active worker per Telegram account and per username; deactivated rows keep theirs.
CREATE UNIQUE INDEX workers_active_telegram ON workers (telegram_id)
    WHERE active = 1 AND telegram_id IS NOT NULL;
CREATE UNIQUE INDEX workers_active_username ON workers (username)
    WHERE active = 1 AND username IS NOT NULL;

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    grid_id     INTEGER NOT NULL REFERENCES grids (id),
    token       TEXT NOT NULL UNIQUE CHECK (length(token) BETWEEN 1 AND 64),
    created_at  TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL),
    created_by  INTEGER,
    revoked_at  TEXT CHECK (revoked_at IS NULL OR datetime(revoked_at) IS NOT NULL),
    revoked_by  INTEGER
) STRICT;
CREATE UNIQUE INDEX invites_one_active ON invites (grid_id) WHERE revoked_at IS NULL;

-- A supervisors' group chat bound to an area: it reads the roll-up of the grids below it.
CREATE TABLE group_chats (
    chat_id   INTEGER PRIMARY KEY,
    area_id   INTEGER NOT NULL REFERENCES areas (id),
    title     TEXT NOT NULL,
    bound_at  TEXT NOT NULL CHECK (datetime(bound_at) IS NOT NULL),
    bound_by  INTEGER
) STRICT;

-- One report per grid and day; what it says lives in its versions. submitted_at and late
-- describe the first filing and never change.
CREATE TABLE reports (
    id            INTEGER PRIMARY KEY,
    grid_id       INTEGER NOT NULL REFERENCES grids (id),
    day           TEXT NOT NULL CHECK (date(day) IS day),
    submitted_at  TEXT NOT NULL CHECK (datetime(submitted_at) IS NOT NULL),
    submitted_by  INTEGER NOT NULL REFERENCES workers (id),
    late          INTEGER NOT NULL CHECK (late IN (0, 1)),
    UNIQUE (grid_id, day)
) STRICT;
CREATE INDEX reports_day ON reports (day);

-- Version 1 is the filing; every later version is a correction and carries a reason.
CREATE TABLE report_versions (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    kind        TEXT NOT NULL CHECK (kind IN ('detailed', 'zero')),
    answers     TEXT NOT NULL CHECK (json_valid(answers) AND json_type(answers) = 'object'),
    baseline    TEXT NOT NULL CHECK (json_valid(baseline) AND json_type(baseline) = 'object'),
    created_at  TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL),
    created_by  INTEGER NOT NULL REFERENCES workers (id),
    reason      TEXT,
    UNIQUE (report_id, version),
    CHECK ((version = 1) = (reason IS NULL))
) STRICT;

CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    version_id   INTEGER NOT NULL REFERENCES report_versions (id),
    position     INTEGER NOT NULL,
    category     TEXT NOT NULL,
    description  TEXT NOT NULL,
    urgent       INTEGER NOT NULL CHECK (urgent IN (0, 1)),
    created_at   TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL),
    UNIQUE (version_id, position)
) STRICT;

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL CHECK (datetime(at) IS NOT NULL),
    actor    INTEGER,
    action   TEXT NOT NULL,
    details  TEXT NOT NULL CHECK (json_valid(details) AND json_type(details) = 'object')
) STRICT;
CREATE INDEX audit_log_action ON audit_log (action, id);

-- python-telegram-bot persistence (storage/persistence.py); values are JSON, never pickle.
CREATE TABLE ptb_user_data (
    user_id  INTEGER PRIMARY KEY,
    data     TEXT NOT NULL CHECK (json_valid(data))
) STRICT;

CREATE TABLE ptb_chat_data (
    chat_id  INTEGER PRIMARY KEY,
    data     TEXT NOT NULL CHECK (json_valid(data))
) STRICT;

CREATE TABLE ptb_bot_data (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    data  TEXT NOT NULL CHECK (json_valid(data))
) STRICT;

CREATE TABLE ptb_callback_data (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    data  TEXT NOT NULL CHECK (json_valid(data))
) STRICT;

-- key is the ConversationHandler key tuple as a JSON array, state the new state as JSON.
CREATE TABLE ptb_conversations (
    name   TEXT NOT NULL,
    key    TEXT NOT NULL CHECK (json_valid(key) AND json_type(key) = 'array'),
    state  TEXT NOT NULL CHECK (json_valid(state)),
    PRIMARY KEY (name, key)
) STRICT;
