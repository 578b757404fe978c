-- Running figures per grid and report day (bot.domain.running): each count's sum so far, each
-- stock's closing, how often each was non-zero. Kept up to date when a report is filed or
-- corrected, so the digest never walks a grid's history. Rebuilt from the reports when the
-- form's figures change (meta key figures_form).
CREATE TABLE report_figures (
    grid_id  INTEGER NOT NULL REFERENCES grids (id),
    day      TEXT NOT NULL CHECK (date(day) IS NOT NULL),
    runs     TEXT NOT NULL CHECK (json_valid(runs) AND json_type(runs) = 'object'),
    PRIMARY KEY (grid_id, day)
) STRICT, WITHOUT ROWID;

-- The digest lists the corrections made since the previous digest.
CREATE INDEX report_versions_corrected ON report_versions (created_at) WHERE version > 1;
