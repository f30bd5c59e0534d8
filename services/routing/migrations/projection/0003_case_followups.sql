-- Follow-ups: the family wrote again after being answered. What the queue sorts and badges by.
ALTER TABLE cases ADD COLUMN followups int NOT NULL DEFAULT 0, ADD COLUMN awaiting_since timestamptz,
    ADD COLUMN unread_messages int NOT NULL DEFAULT 0, ADD COLUMN followup_due date,
    ADD COLUMN followup_due_at timestamptz;
CREATE INDEX cases_awaiting ON cases (followup_due_at) WHERE awaiting_since IS NOT NULL;
