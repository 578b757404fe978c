-- The send log keeps each send's row for GRIDBOT_SEND_LOG_DAYS days, then drops a day's rows
-- (ScheduleRepo.prune_day): a district of 10,000 grids records some 13 million sends a
-- year, about a third of its database. What the ledger and the digests read of a day's
-- sends, the reminder rounds that reached each grid, stays here (no row: none reached it).
CREATE TABLE reminder_rounds (
    day      TEXT NOT NULL CHECK (date(day) IS day),
    grid_id  INTEGER NOT NULL REFERENCES grids (id),
    rounds   INTEGER NOT NULL CHECK (rounds > 0),
    PRIMARY KEY (day, grid_id)
) STRICT, WITHOUT ROWID;
