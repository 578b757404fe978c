-- Which fields have ever held text (or anything but a number) in a report's current answers:
-- the export (storage/ledger_export.py) spells every other field's cell as a number, with one
-- json_extract and no test of the value's type. The mark is never taken back, so it may
-- outlive the text; a field without it never holds text.
ALTER TABLE ledger_keys ADD COLUMN texts INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER ledger_version_filed;
CREATE TRIGGER ledger_version_filed AFTER INSERT ON report_versions
WHEN NEW.version >= coalesce(
    (SELECT version FROM ledger_reports WHERE report_id = NEW.report_id), 0)
BEGIN
    INSERT INTO ledger_keys (key) SELECT DISTINCT key FROM json_each(NEW.answers)
        WHERE key NOT IN (SELECT key FROM ledger_keys);
    UPDATE ledger_keys SET texts = 1 WHERE texts = 0 AND key IN (
        SELECT key FROM json_each(NEW.answers)
        WHERE type NOT IN ('integer', 'real', 'true', 'false', 'null'));
    DELETE FROM ledger_reports WHERE report_id = NEW.report_id;
    INSERT INTO ledger_reports (report_id, version_id, version, kind, incidents, answers)
    VALUES (
        NEW.report_id, NEW.id, NEW.version, NEW.kind,
        (SELECT count(*) FROM incidents WHERE version_id = NEW.id),
        (SELECT json_group_array(json_extract(NEW.answers, '$."' || key || '"'))
         FROM (SELECT key FROM ledger_keys ORDER BY position))
    );
END;

-- The answers already there (only arrays with a quote can hold text).
UPDATE ledger_keys SET texts = 1 WHERE position IN (
    SELECT j.key + 1 FROM ledger_reports r, json_each(r.answers) j
    WHERE instr(r.answers, '"') AND j.type NOT IN ('integer', 'real', 'true', 'false', 'null'));
