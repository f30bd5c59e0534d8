
    CREATE TABLE cases (
        case_id uuid PRIMARY KEY,
        region text NOT NULL,
        municipality text NOT NULL,
        reference text NOT NULL,
        language text NOT NULL,
        requester_role text NOT NULL,
        topic text,
        child_age_group text,
        contact_method text NOT NULL,
        received_at timestamptz NOT NULL,
        answer_due date NOT NULL,
        due_at timestamptz NOT NULL,
        status text NOT NULL,
        personal jsonb,
        version int NOT NULL,
        updated_at timestamptz NOT NULL
    );
    CREATE INDEX cases_queue ON cases (region, status, due_at);
    
CREATE TABLE case_keys (
    case_id uuid PRIMARY KEY,
    region text NOT NULL,
    kek_id text NOT NULL,
    nonce text NOT NULL,
    wrapped text NOT NULL
);
