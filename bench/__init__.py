"""gridbot's benchmarks: ``make bench`` (or ``python -m bench``) runs every scenario through the
real application, the Bot API emulator on loopback and a real SQLite file, prints a table and
writes ``bench/results/latest.json``. Timing targets live here, never in the test suite."""
