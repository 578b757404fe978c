-- Each grid's running figures of its latest report day and of the report day before it (a copy
-- of two rows of report_figures), kept by the triggers below through every filing, correction
-- and deletion, so that a digest reads them in one pass over ten thousand short rows instead of
-- two seeks a grid into report_figures (a year of a district is millions of rows).
CREATE TABLE latest_figures (
    grid_id      INTEGER PRIMARY KEY REFERENCES grids (id),
    day          TEXT NOT NULL,
    runs         TEXT NOT NULL,
    before_day   TEXT,
    before_runs  TEXT,
    CHECK ((before_day IS NULL) = (before_runs IS NULL)),
    CHECK (before_day < day)
) STRICT;

-- A new report day is kept if it is later than the grid's day before.
CREATE TRIGGER latest_figures_inserted AFTER INSERT ON report_figures
WHEN NEW.day > coalesce(
    (SELECT coalesce(before_day, '') FROM latest_figures WHERE grid_id = NEW.grid_id), '')
BEGIN
    UPDATE latest_figures SET before_day = NEW.day, before_runs = NEW.runs
    WHERE grid_id = NEW.grid_id AND day > NEW.day;
    INSERT INTO latest_figures (grid_id, day, runs) VALUES (NEW.grid_id, NEW.day, NEW.runs)
    ON CONFLICT (grid_id) DO UPDATE
    SET before_day = day, before_runs = runs, day = excluded.day, runs = excluded.runs
    WHERE excluded.day > day;
END;

-- New figures of a kept day (a correction flowing into the later days).
CREATE TRIGGER latest_figures_updated AFTER UPDATE OF runs ON report_figures
WHEN NEW.grid_id = OLD.grid_id AND NEW.day = OLD.day
BEGIN
    UPDATE latest_figures SET runs = NEW.runs WHERE grid_id = NEW.grid_id AND day = NEW.day;
    UPDATE latest_figures SET before_runs = NEW.runs
    WHERE grid_id = NEW.grid_id AND before_day = NEW.day;
END;

-- A row moved to another grid or day: both grids' kept days are found again.
CREATE TRIGGER latest_figures_moved AFTER UPDATE OF grid_id, day ON report_figures
WHEN NEW.grid_id != OLD.grid_id OR NEW.day != OLD.day
BEGIN
    DELETE FROM latest_figures WHERE grid_id IN (OLD.grid_id, NEW.grid_id);
    INSERT INTO latest_figures (grid_id, day, runs, before_day, before_runs)
    SELECT f.grid_id, f.day, f.runs, b.day, b.runs
    FROM report_figures f LEFT JOIN report_figures b ON b.grid_id = f.grid_id
        AND b.day = (SELECT max(day) FROM report_figures WHERE grid_id = f.grid_id AND day < f.day)
    WHERE f.grid_id IN (OLD.grid_id, NEW.grid_id)
        AND f.day = (SELECT max(day) FROM report_figures WHERE grid_id = f.grid_id);
END;

-- A kept day deleted: the grid's kept days are found again.
CREATE TRIGGER latest_figures_deleted AFTER DELETE ON report_figures
WHEN OLD.day >= (SELECT coalesce(before_day, day) FROM latest_figures WHERE grid_id = OLD.grid_id)
BEGIN
    DELETE FROM latest_figures WHERE grid_id = OLD.grid_id;
    INSERT INTO latest_figures (grid_id, day, runs, before_day, before_runs)
    SELECT f.grid_id, f.day, f.runs, b.day, b.runs
    FROM report_figures f LEFT JOIN report_figures b ON b.grid_id = f.grid_id
        AND b.day = (SELECT max(day) FROM report_figures WHERE grid_id = f.grid_id AND day < f.day)
    WHERE f.grid_id = OLD.grid_id
        AND f.day = (SELECT max(day) FROM report_figures WHERE grid_id = OLD.grid_id);
END;

-- The figures already there: every grid with figures (found by skipping through the primary
-- key from one grid to the next), its latest day and the one before.
INSERT INTO latest_figures (grid_id, day, runs, before_day, before_runs)
WITH RECURSIVE kept (grid_id) AS (
    SELECT min(grid_id) FROM report_figures
    UNION ALL
    SELECT (SELECT min(grid_id) FROM report_figures WHERE grid_id > kept.grid_id)
    FROM kept WHERE kept.grid_id IS NOT NULL
)
SELECT f.grid_id, f.day, f.runs, b.day, b.runs
FROM kept
JOIN report_figures f ON f.grid_id = kept.grid_id
    AND f.day = (SELECT max(day) FROM report_figures WHERE grid_id = kept.grid_id)
LEFT JOIN report_figures b ON b.grid_id = f.grid_id
    AND b.day = (SELECT max(day) FROM report_figures WHERE grid_id = f.grid_id AND day < f.day);
