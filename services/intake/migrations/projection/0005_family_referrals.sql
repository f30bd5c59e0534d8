-- Where the family was referred and how the service answered, for the status page: the service's id and the
-- referral's state only (the note and the family's contact stay with routing).
CREATE TABLE family_referrals (
    referral_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    service_id text NOT NULL,
    sent_at timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('sent', 'accepted', 'declined', 'completed')),
    overdue boolean NOT NULL DEFAULT false
);
CREATE INDEX family_referrals_case ON family_referrals (case_id, sent_at);
