-- The day's schedule: every send recorded before it goes out (exactly once per kind, day and
-- target), excused grids, workers away for a day, urgent-incident alerts and their
-- acknowledgement, and each supervisor group's language.

CREATE TABLE sends (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    day         TEXT NOT NULL CHECK (date(day) IS day),
    target      INTEGER NOT NULL,
    grid_id     INTEGER REFERENCES grids (id),
    status      TEXT NOT NULL
                CHECK (status IN ('planned', 'sent', 'failed', 'skipped', 'blocked')),
    planned_at  TEXT NOT NULL CHECK (datetime(planned_at) IS NOT NULL),
    sent_at     TEXT CHECK (sent_at IS NULL OR datetime(sent_at) IS NOT NULL),
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    delayed     INTEGER NOT NULL DEFAULT 0 CHECK (delayed IN (0, 1)),
    error       TEXT,
    UNIQUE (kind, day, target)
) STRICT;

CREATE INDEX sends_by_day_grid ON sends (day, grid_id);

CREATE TABLE excusals (
    id          INTEGER PRIMARY KEY,
    grid_id     INTEGER NOT NULL REFERENCES grids (id),
    day         TEXT NOT NULL CHECK (date(day) IS day),
    reason      TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    excused_by  INTEGER NOT NULL,
    excused_at  TEXT NOT NULL CHECK (datetime(excused_at) IS NOT NULL),
    UNIQUE (grid_id, day)
) STRICT;

CREATE TABLE absences (
    id          INTEGER PRIMARY KEY,
    worker_id   INTEGER NOT NULL REFERENCES workers (id),
    day         TEXT NOT NULL CHECK (date(day) IS day),
    created_at  TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL),
    UNIQUE (worker_id, day)
) STRICT;

CREATE TABLE alerts (
    id                    INTEGER PRIMARY KEY,
    incident_id           INTEGER NOT NULL UNIQUE REFERENCES incidents (id),
    grid_id               INTEGER NOT NULL REFERENCES grids (id),
    day                   TEXT NOT NULL CHECK (date(day) IS day),
    raised_at             TEXT NOT NULL CHECK (datetime(raised_at) IS NOT NULL),
    acknowledged_by       INTEGER,
    acknowledged_by_name  TEXT,
    acknowledged_at       TEXT CHECK (acknowledged_at IS NULL OR datetime(acknowledged_at) IS NOT NULL),
    CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL))
) STRICT;

CREATE TABLE alert_posts (
    id          INTEGER PRIMARY KEY,
    alert_id    INTEGER NOT NULL REFERENCES alerts (id),
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    level       INTEGER NOT NULL CHECK (level >= 0),
    posted_at   TEXT NOT NULL CHECK (datetime(posted_at) IS NOT NULL),
    UNIQUE (alert_id, chat_id)
) STRICT;

ALTER TABLE group_chats ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('zh_CN', 'en'));

ALTER TABLE workers ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('zh_CN', 'en'));
