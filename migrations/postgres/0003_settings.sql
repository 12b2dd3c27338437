-- Settings every server on one database shares: the key quotes are signed with, made by the
-- first server to start, so that a quote made by one server is accepted by another.

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
