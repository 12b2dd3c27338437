-- Desktop hand-offs: a single-use token, stored only as its SHA-256, bound to an account, an
-- exchange, the platform that handed off and the one that executes, the policy version and the
-- quote shown there, valid until `expires_at` and used at most once (`used_at`).

CREATE TABLE handoffs (
    id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    exchange TEXT NOT NULL,
    from_platform TEXT NOT NULL,
    to_platform TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    quote TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE INDEX handoffs_expires ON handoffs (expires_at);
