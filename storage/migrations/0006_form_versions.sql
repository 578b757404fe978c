-- Every form the bot has run with: its text, a hash, and the first day it is in force
-- (NULL for the first version: from the beginning). Each report version records the form
-- version it was filed under (NULL for versions filed before forms were recorded: they
-- were filed under version 1, which the bot registers on its first start with this schema).
CREATE TABLE form_versions (
    version     INTEGER PRIMARY KEY CHECK (version >= 1),
    since       TEXT UNIQUE CHECK (since IS NULL OR date(since) = since),
    hash        TEXT NOT NULL CHECK (length(hash) = 64),
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL CHECK (datetime(created_at) IS NOT NULL),
    CHECK ((version = 1) = (since IS NULL))
) STRICT;

ALTER TABLE report_versions ADD COLUMN form_version INTEGER REFERENCES form_versions (version);
