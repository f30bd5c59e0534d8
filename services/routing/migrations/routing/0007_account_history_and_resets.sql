-- Every change to an account (who changed what, when), shown on the accounts page; the same goes to the audit
-- stream. Values are roles, team ids and languages: never a password or an address.
CREATE TABLE account_history (
    id bigserial PRIMARY KEY,
    account_id text NOT NULL,
    at timestamptz NOT NULL,
    by_account text NOT NULL,
    change text NOT NULL,
    from_value text,
    to_value text
);
CREATE INDEX account_history_account ON account_history (account_id, at DESC);

-- One-time password reset links: only the token's hash, valid until expires_at, used once.
CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY,
    account_id text NOT NULL,
    reset_id uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX password_resets_account ON password_resets (account_id);
