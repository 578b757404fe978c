-- Each grid's week at a glance: which days of it (a bit a day, Monday the lowest) the grid has a
-- report for, a late one, an excusal. Kept by the triggers below, so that Monday's tally of last
-- week's late and missing days reads one short row a grid (an index range) instead of grouping
-- the week's reports by grid (a district's week is some 63,000 reports, sorted for the
-- grouping: about 30 ms of SQLite's CPU at 10,000 grids, every Monday evening).
CREATE TABLE week_marks (
    monday   TEXT NOT NULL,
    grid_id  INTEGER NOT NULL REFERENCES grids (id),
    filed    INTEGER NOT NULL DEFAULT 0 CHECK (filed BETWEEN 0 AND 127),
    late     INTEGER NOT NULL DEFAULT 0 CHECK (late BETWEEN 0 AND 127),
    excused  INTEGER NOT NULL DEFAULT 0 CHECK (excused BETWEEN 0 AND 127),
    PRIMARY KEY (monday, grid_id)
) STRICT, WITHOUT ROWID;

-- A day's week: date(day, '-6 days', 'weekday 1') is the Monday on or before it; its bit:
-- 1 << ((strftime('%w', day) + 6) % 7) (Monday 1, Sunday 64).

CREATE TRIGGER week_marks_filed AFTER INSERT ON reports
BEGIN
    INSERT INTO week_marks (monday, grid_id, filed, late)
    VALUES (
        date(NEW.day, '-6 days', 'weekday 1'), NEW.grid_id,
        1 << ((strftime('%w', NEW.day) + 6) % 7),
        NEW.late << ((strftime('%w', NEW.day) + 6) % 7)
    )
    ON CONFLICT (monday, grid_id) DO UPDATE
    SET filed = filed | excluded.filed, late = late | excluded.late;
END;

CREATE TRIGGER week_marks_unfiled AFTER DELETE ON reports
BEGIN
    UPDATE week_marks
    SET filed = filed & ~(1 << ((strftime('%w', OLD.day) + 6) % 7)),
        late = late & ~(1 << ((strftime('%w', OLD.day) + 6) % 7))
    WHERE monday = date(OLD.day, '-6 days', 'weekday 1') AND grid_id = OLD.grid_id;
    DELETE FROM week_marks
    WHERE monday = date(OLD.day, '-6 days', 'weekday 1') AND grid_id = OLD.grid_id
        AND filed = 0 AND excused = 0;
END;

CREATE TRIGGER week_marks_refiled AFTER UPDATE OF grid_id, day, late ON reports
BEGIN
    UPDATE week_marks
    SET filed = filed & ~(1 << ((strftime('%w', OLD.day) + 6) % 7)),
        late = late & ~(1 << ((strftime('%w', OLD.day) + 6) % 7))
    WHERE monday = date(OLD.day, '-6 days', 'weekday 1') AND grid_id = OLD.grid_id;
    DELETE FROM week_marks
    WHERE monday = date(OLD.day, '-6 days', 'weekday 1') AND grid_id = OLD.grid_id
        AND filed = 0 AND excused = 0;
    INSERT INTO week_marks (monday, grid_id, filed, late)
    VALUES (
        date(NEW.day, '-6 days', 'weekday 1'), NEW.grid_id,
        1 << ((strftime('%w', NEW.day) + 6) % 7),
        NEW.late << ((strftime('%w', NEW.day) + 6) % 7)
    )
    ON CONFLICT (monday, grid_id) DO UPDATE
    SET filed = filed | excluded.filed, late = late | excluded.late;
END;

CREATE TRIGGER week_marks_excused AFTER INSERT ON excusals
BEGIN
    INSERT INTO week_marks (monday, grid_id, excused)
    VALUES (
        date(NEW.day, '-6 days', 'weekday 1'), NEW.grid_id,
        1 << ((strftime('%w', NEW.day) + 6) % 7)
    )
    ON CONFLICT (monday, grid_id) DO UPDATE SET excused = excused | excluded.excused;
END;

CREATE TRIGGER week_marks_unexcused AFTER DELETE ON excusals
BEGIN
    UPDATE week_marks SET excused = excused & ~(1 << ((strftime('%w', OLD.day) + 6) % 7))
    WHERE monday = date(OLD.day, '-6 days', 'weekday 1') AND grid_id = OLD.grid_id;
    DELETE FROM week_marks
    WHERE monday = date(OLD.day, '-6 days', 'weekday 1') AND grid_id = OLD.grid_id
        AND filed = 0 AND excused = 0;
END;

CREATE TRIGGER week_marks_reexcused AFTER UPDATE OF grid_id, day ON excusals
BEGIN
    UPDATE week_marks SET excused = excused & ~(1 << ((strftime('%w', OLD.day) + 6) % 7))
    WHERE monday = date(OLD.day, '-6 days', 'weekday 1') AND grid_id = OLD.grid_id;
    DELETE FROM week_marks
    WHERE monday = date(OLD.day, '-6 days', 'weekday 1') AND grid_id = OLD.grid_id
        AND filed = 0 AND excused = 0;
    INSERT INTO week_marks (monday, grid_id, excused)
    VALUES (
        date(NEW.day, '-6 days', 'weekday 1'), NEW.grid_id,
        1 << ((strftime('%w', NEW.day) + 6) % 7)
    )
    ON CONFLICT (monday, grid_id) DO UPDATE SET excused = excused | excluded.excused;
END;

-- The reports and excusals already there (a grid has one of each a day at most, so the sum of
-- a week's bits is their union).
INSERT INTO week_marks (monday, grid_id, filed, late)
SELECT date(day, '-6 days', 'weekday 1'), grid_id,
    sum(1 << ((strftime('%w', day) + 6) % 7)), sum(late << ((strftime('%w', day) + 6) % 7))
FROM reports GROUP BY 1, 2;

INSERT INTO week_marks (monday, grid_id, excused)
SELECT date(day, '-6 days', 'weekday 1'), grid_id, sum(1 << ((strftime('%w', day) + 6) % 7))
FROM excusals WHERE true GROUP BY 1, 2
ON CONFLICT (monday, grid_id) DO UPDATE SET excused = excluded.excused;
