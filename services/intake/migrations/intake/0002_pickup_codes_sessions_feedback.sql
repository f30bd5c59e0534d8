
    CREATE TABLE pickup_codes (
        case_id uuid PRIMARY KEY REFERENCES requests (case_id),
        code_hash text NOT NULL,
        failures int NOT NULL DEFAULT 0,
        locked_until timestamptz
    );
    CREATE TABLE family_sessions (
        token_hash bytea PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES requests (case_id),
        csrf text NOT NULL,
        expires_at timestamptz NOT NULL
    );
    CREATE TABLE family_writes (
        write_id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES requests (case_id),
        kind text NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX one_feedback_per_case ON family_writes (case_id) WHERE kind = 'feedback';
    CREATE TABLE accessibility_feedback (
        id bigserial PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now(),
        municipality text,
        language text NOT NULL,
        feedback text NOT NULL,
        contact text
    );
    