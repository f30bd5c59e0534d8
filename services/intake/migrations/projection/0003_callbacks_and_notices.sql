-- The call staff have scheduled with the family (only the current one: a new time replaces it, a
-- cancellation or a contact attempt ends it), and the notices that they tried to reach the family and
-- could not, which the family's timeline shows among the staff's entries.
CREATE TABLE family_callbacks (
    case_id uuid PRIMARY KEY,
    callback_id uuid NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL
);
CREATE TABLE family_notices (
    event_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL
);
CREATE INDEX family_notices_case ON family_notices (case_id, at);
