-- Calls to the family: the windows of the calls still to be made (a cancellation names the time it cancels),
-- and on each notification the call it is about. A reminder is due before its window (due_since ahead of the
-- event) and is withdrawn, not deleted, when the call is moved, cancelled or used up.
CREATE TABLE case_callbacks (
    callback_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL
);
CREATE INDEX case_callbacks_case ON case_callbacks (case_id);
ALTER TABLE notifications_due
    ADD COLUMN callback_id uuid,
    ADD COLUMN window_starts_at timestamptz,
    ADD COLUMN window_ends_at timestamptz,
    ADD COLUMN withdrawn_at timestamptz;
