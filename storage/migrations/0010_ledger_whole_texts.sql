-- The copy of the answers (ledger_reports, migration 0008) takes each answer as its JSON
-- token (the -> operator) instead of its SQL value (json_extract), which SQLite cuts at a
-- NUL character: a free-text answer holding one is copied whole.
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
        (SELECT json_group_array(NEW.answers -> ('$."' || key || '"'))
         FROM (SELECT key FROM ledger_keys ORDER BY position))
    );
END;

-- The copies already cut (stored answers spell a NUL as \u0000).
UPDATE ledger_reports SET answers = (
    SELECT json_group_array(
        (SELECT answers FROM report_versions WHERE id = ledger_reports.version_id)
        -> ('$."' || key || '"'))
    FROM (SELECT key FROM ledger_keys ORDER BY position))
WHERE version_id IN (SELECT id FROM report_versions WHERE instr(answers, '\u0000'));
