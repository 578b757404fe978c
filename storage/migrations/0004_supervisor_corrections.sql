-- Supervisors may correct any day of their area: a version is made either by a worker of the
-- roster (created_by) or by a supervisor known by Telegram id and name (never both).
CREATE TABLE report_versions_new (
    id               INTEGER PRIMARY KEY,
    report_id        INTEGER NOT NULL REFERENCES reports (id),
    version          INTEGER NOT NULL CHECK (version >= 1),
    kind             TEXT NOT NULL CHECK (kind IN ('detailed', 'zero')),
    answers          TEXT NOT NULL CHECK (json_valid(answers) AND json_type(answers) = 'object'),
    baseline         TEXT NOT NULL CHECK (json_valid(baseline) AND json_type(baseline) = 'object'),
    created_at       TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL),
    created_by       INTEGER REFERENCES workers (id),
    supervisor_id    INTEGER,
    supervisor_name  TEXT CHECK (supervisor_name IS NULL OR length(supervisor_name) BETWEEN 1 AND 128),
    reason           TEXT,
    UNIQUE (report_id, version),
    CHECK ((version = 1) = (reason IS NULL)),
    CHECK ((created_by IS NULL) = (supervisor_id IS NOT NULL)),
    CHECK ((supervisor_id IS NULL) = (supervisor_name IS NULL)),
    CHECK (version > 1 OR created_by IS NOT NULL)
) STRICT;

INSERT INTO report_versions_new
    (id, report_id, version, kind, answers, baseline, created_at, created_by, reason)
SELECT id, report_id, version, kind, answers, baseline, created_at, created_by, reason
FROM report_versions;

DROP TABLE report_versions;
ALTER TABLE report_versions_new RENAME TO report_versions;
