-- Accounts, their append-only ledger (each group with the event pushed to clients when it was
-- written), stored idempotent responses and one-time exchanges done. Every invariant the database can keep, it keeps: a unique
-- (account, seq) per ledger group, a unique (account, exchange) per one-time exchange, and a
-- ledger that cannot be updated or deleted.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL CHECK (version >= 0),
    snapshot TEXT NOT NULL,
    imported TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE ledger (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    seq BIGINT NOT NULL,
    request_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    grp TEXT NOT NULL,
    event TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, seq)
);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only';
END;
$$;

CREATE TRIGGER ledger_no_update_or_delete BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

CREATE TABLE idempotency (
    account_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    response_status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
);

CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE exchanges_done (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    exchange TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (account_id, exchange)
);
