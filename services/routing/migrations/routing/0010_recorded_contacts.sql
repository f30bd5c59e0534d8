-- Contacts staff recorded (phone, in person, letter): one row per recording, so a retried recording (the same
-- recording_id) returns the case it made instead of making a second one. Nothing personal: ids, the reference,
-- who recorded it and when; the family's words travel only sealed, in request.recorded.
CREATE TABLE recorded_contacts (
    recording_id uuid PRIMARY KEY,
    case_id uuid NOT NULL UNIQUE,
    reference text NOT NULL UNIQUE,
    region text NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL,
    answer_due date NOT NULL,
    event_ids uuid[] NOT NULL
);
