
    CREATE TABLE requests (
        case_id uuid PRIMARY KEY,
        submission_id uuid NOT NULL UNIQUE,
        reference text NOT NULL UNIQUE,
        region text NOT NULL,
        municipality text NOT NULL,
        language text NOT NULL,
        contact_method text NOT NULL,
        answer_due date NOT NULL,
        received_at timestamptz NOT NULL
    );
    CREATE TABLE case_keys (
        case_id uuid PRIMARY KEY REFERENCES requests (case_id),
        kek_id text NOT NULL,
        nonce text NOT NULL,
        wrapped text NOT NULL
    );
    
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key bytea,
    value bytea,
    headers jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now()
);
