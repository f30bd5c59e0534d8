-- Network coordinators come in from routing with a signed one-time pass (shared/staffpass.py): each pass once,
-- then a session of the network's own (only the token's SHA-256 is kept).
CREATE TABLE used_passes (
    nonce text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE TABLE coordinator_sessions (
    token_hash bytea PRIMARY KEY,
    account_id text NOT NULL,
    region text NOT NULL,
    language text NOT NULL,
    expires_at timestamptz NOT NULL
);
