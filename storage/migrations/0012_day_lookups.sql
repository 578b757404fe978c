-- Lookups by day that a digest and every day of a ledger export make, which had to read
-- every row of their table (excusals) or every send of the day, prompts and confirmations
-- included, from the table (reminders). A district's day holds some 3% of its grids excused
-- and three or four sends a grid: about 0.5 ms a day for 1,000 grids and ten times that for
-- 10,000 read the excusals, 3 ms a day and 30 ms the reminders (a year's ledger asks 365 days
-- of each, on two connections).
CREATE INDEX excusals_by_day ON excusals (day);

-- The reminder rounds that reached each grid (ScheduleRepo.reminders_sent, the ledger's
-- reminders column): the sends of those kinds that went, by day and grid, read from the index.
CREATE INDEX sends_reminders ON sends (day, grid_id, kind)
    WHERE status = 'sent' AND (kind LIKE 'remind%' OR kind = 'late_nag');
