
    CREATE TABLE notifications_due (
        notification_id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        cause_event_id uuid NOT NULL,
        region text NOT NULL,
        municipality text NOT NULL,
        recipient text NOT NULL,
        template text NOT NULL,
        channel text NOT NULL,
        language text NOT NULL,
        reference text NOT NULL,
        answer_due date,
        due_since timestamptz NOT NULL
    );
    CREATE INDEX notifications_due_case ON notifications_due (case_id);
    