-- The sends still planned or failed (ScheduleRepo.unfinished: the confirmations a chat is
-- owed, asked on the first confirmation after a start), by day. Without it the query read the
-- whole send log in id order: 0.1 s for 1,000 grids and 0.9-4.8 s for 10,000 with a year's
-- log, during which the bot's one connection answered no one. The index holds only the few
-- sends not yet finished.
CREATE INDEX sends_unfinished ON sends (day) WHERE status IN ('planned', 'failed');
