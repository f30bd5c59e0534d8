
CREATE TABLE case_keys (
    case_id uuid PRIMARY KEY,
    region text NOT NULL,
    kek_id text NOT NULL,
    nonce text NOT NULL,
    wrapped text NOT NULL
);

    CREATE TABLE case_contacts (
        case_id uuid PRIMARY KEY,
        region text NOT NULL,
        reference text NOT NULL,
        language text NOT NULL,
        contact_method text NOT NULL,
        answer_due date NOT NULL,
        team_id text,
        personal jsonb NOT NULL
    );
    CREATE INDEX notifications_due_since ON notifications_due (due_since);
    