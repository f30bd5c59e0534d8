
    CREATE TABLE sessions (
        token_hash bytea PRIMARY KEY,
        account_id text NOT NULL,
        role text NOT NULL,
        region text NOT NULL,
        language text NOT NULL,
        csrf text NOT NULL,
        expires_at timestamptz NOT NULL
    );
    CREATE TABLE used_passes (
        nonce text PRIMARY KEY,
        expires_at timestamptz NOT NULL
    );
    