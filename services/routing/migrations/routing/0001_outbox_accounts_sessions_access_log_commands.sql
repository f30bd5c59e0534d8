
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key bytea,
    value bytea,
    headers jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now()
);

    CREATE TABLE accounts (
        id text PRIMARY KEY,
        username text NOT NULL UNIQUE,
        display_name text NOT NULL,
        role text NOT NULL CHECK (role IN ('coordinator', 'professional', 'manager', 'admin')),
        region text NOT NULL,
        team_id text,
        language text NOT NULL DEFAULT 'fi',
        password_hash text NOT NULL,
        failures int NOT NULL DEFAULT 0,
        locked_until timestamptz,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE staff_sessions (
        token_hash bytea PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id),
        csrf text NOT NULL,
        expires_at timestamptz NOT NULL
    );
    CREATE TABLE access_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        account_id text NOT NULL,
        role text NOT NULL,
        region text NOT NULL,
        case_id uuid NOT NULL,
        action text NOT NULL
    );
    CREATE INDEX access_log_case ON access_log (case_id, at);
    CREATE INDEX access_log_account ON access_log (account_id, at);
    CREATE TABLE case_commands (
        case_id uuid PRIMARY KEY,
        command_version int NOT NULL,
        state jsonb NOT NULL
    );
    CREATE TABLE teams (
        id text NOT NULL,
        region text NOT NULL,
        name jsonb NOT NULL,
        PRIMARY KEY (region, id)
    );
    CREATE TABLE deadline_alerts (
        case_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('warning', 'missed')),
        raised_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (case_id, kind)
    );
    