-- Accessibility feedback of the region (the compacted feedback topic): when it came, when it is to be answered,
-- whether it was; the text and the contact stay sealed in the record until an admin opens it.
CREATE TABLE accessibility_feedback (
    feedback_id uuid PRIMARY KEY,
    region text NOT NULL,
    reference text NOT NULL,
    municipality text NOT NULL,
    language text NOT NULL,
    received_at timestamptz NOT NULL,
    answer_due date NOT NULL,
    answered_at timestamptz,
    record jsonb NOT NULL
);
CREATE INDEX accessibility_feedback_region ON accessibility_feedback (region, answer_due);
