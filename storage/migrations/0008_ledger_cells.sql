-- What the ledger export (storage/ledger_export.py) shows of each report, in a compact form
-- kept by triggers in the same transaction as every write it copies: reading a year of a
-- district then parses no JSON object and looks up no current version per row.
--
-- Every field key of the answers and the running figures, numbered as first seen: answers
-- and figures are kept as JSON arrays with field `position` at index `position - 1`.
CREATE TABLE ledger_keys (
    position  INTEGER PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE
) STRICT;

-- Each report's current version: kind, version, incidents, answers (null: not answered).
CREATE TABLE ledger_reports (
    report_id   INTEGER PRIMARY KEY REFERENCES reports (id),
    version_id  INTEGER NOT NULL REFERENCES report_versions (id),
    version     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    incidents   INTEGER NOT NULL,
    answers     TEXT NOT NULL CHECK (json_type(answers) = 'array')
) STRICT;

-- Each grid's running figures of a report day, by day: each field's first item (a stock's
-- closing). By day first, so a day of every grid is a few pages.
CREATE TABLE ledger_figures (
    day      TEXT NOT NULL,
    grid_id  INTEGER NOT NULL REFERENCES grids (id),
    firsts   TEXT NOT NULL CHECK (json_type(firsts) = 'array'),
    PRIMARY KEY (day, grid_id)
) STRICT, WITHOUT ROWID;

-- No conflict clause in the triggers: one on the statement that fires them would replace it.
CREATE TRIGGER ledger_version_filed AFTER INSERT ON report_versions
WHEN NEW.version >= coalesce(
    (SELECT version FROM ledger_reports WHERE report_id = NEW.report_id), 0)
BEGIN
    INSERT INTO ledger_keys (key) SELECT DISTINCT key FROM json_each(NEW.answers)
        WHERE key NOT IN (SELECT key FROM ledger_keys);
    DELETE FROM ledger_reports WHERE report_id = NEW.report_id;
    INSERT INTO ledger_reports (report_id, version_id, version, kind, incidents, answers)
    VALUES (
        NEW.report_id, NEW.id, NEW.version, NEW.kind,
        (SELECT count(*) FROM incidents WHERE version_id = NEW.id),
        (SELECT json_group_array(json_extract(NEW.answers, '$."' || key || '"'))
         FROM (SELECT key FROM ledger_keys ORDER BY position))
    );
END;

CREATE TRIGGER ledger_incident_filed AFTER INSERT ON incidents
BEGIN
    UPDATE ledger_reports SET incidents = incidents + 1
    WHERE report_id = (SELECT report_id FROM report_versions WHERE id = NEW.version_id)
      AND version_id = NEW.version_id;
END;

CREATE TRIGGER ledger_figures_inserted AFTER INSERT ON report_figures
BEGIN
    INSERT INTO ledger_keys (key) SELECT DISTINCT key FROM json_each(NEW.runs)
        WHERE key NOT IN (SELECT key FROM ledger_keys);
    DELETE FROM ledger_figures WHERE day = NEW.day AND grid_id = NEW.grid_id;
    INSERT INTO ledger_figures (day, grid_id, firsts)
    SELECT NEW.day, NEW.grid_id, json_group_array(json_extract(NEW.runs, '$."' || key || '"[0]'))
    FROM (SELECT key FROM ledger_keys ORDER BY position);
END;

CREATE TRIGGER ledger_figures_updated AFTER UPDATE OF runs ON report_figures
BEGIN
    INSERT INTO ledger_keys (key) SELECT DISTINCT key FROM json_each(NEW.runs)
        WHERE key NOT IN (SELECT key FROM ledger_keys);
    UPDATE ledger_figures SET firsts = (
        SELECT json_group_array(json_extract(NEW.runs, '$."' || key || '"[0]'))
        FROM (SELECT key FROM ledger_keys ORDER BY position)
    ) WHERE day = NEW.day AND grid_id = NEW.grid_id;
END;

CREATE TRIGGER ledger_figures_deleted AFTER DELETE ON report_figures
BEGIN
    DELETE FROM ledger_figures WHERE day = OLD.day AND grid_id = OLD.grid_id;
END;

-- The reports and figures already there.
INSERT OR IGNORE INTO ledger_keys (key)
    SELECT j.key FROM report_versions v, json_each(v.answers) j ORDER BY v.id, j.id;
INSERT OR IGNORE INTO ledger_keys (key)
    SELECT j.key FROM report_figures f, json_each(f.runs) j ORDER BY f.grid_id, f.day, j.id;

INSERT INTO ledger_reports (report_id, version_id, version, kind, incidents, answers)
SELECT v.report_id, v.id, v.version, v.kind,
    (SELECT count(*) FROM incidents WHERE version_id = v.id),
    (SELECT json_group_array(json_extract(v.answers, '$."' || key || '"'))
     FROM (SELECT key FROM ledger_keys ORDER BY position))
FROM report_versions v
WHERE v.version = (SELECT max(version) FROM report_versions WHERE report_id = v.report_id);

INSERT INTO ledger_figures (day, grid_id, firsts)
SELECT f.day, f.grid_id,
    (SELECT json_group_array(json_extract(f.runs, '$."' || key || '"[0]'))
     FROM (SELECT key FROM ledger_keys ORDER BY position))
FROM report_figures f;
