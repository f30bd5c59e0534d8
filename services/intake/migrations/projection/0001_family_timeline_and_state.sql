
    CREATE TABLE family_timeline (
        event_id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        at timestamptz NOT NULL,
        from_staff boolean NOT NULL,
        sealed jsonb NOT NULL
    );
    CREATE INDEX family_timeline_case ON family_timeline (case_id, at);
    CREATE TABLE family_case_state (
        case_id uuid PRIMARY KEY,
        closed boolean NOT NULL DEFAULT false,
        closed_at timestamptz,
        feedback_given boolean NOT NULL DEFAULT false
    );
    