-- A referral's overdue alert is raised once per referral, like the deadline alerts: the row and the event's
-- outbox row commit together.
CREATE TABLE referral_alerts (
    referral_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    raised_at timestamptz NOT NULL
);
-- Opening a referral's link discloses the family's contact and the note to another organisation: the access log
-- keeps each disclosure (Act 703/2023), to which service, to whom there (the name the reader gave) and which
-- referral. The row's account_id is 'service:<id>' and its role 'receiving_service'.
ALTER TABLE access_log ADD COLUMN disclosed_to text;
ALTER TABLE access_log ADD COLUMN disclosed_person text;
ALTER TABLE access_log ADD COLUMN referral_id uuid;
ALTER TABLE access_log ADD CONSTRAINT access_log_disclosure
    CHECK ((disclosed_to IS NULL) = (referral_id IS NULL) AND (disclosed_to IS NULL) = (disclosed_person IS NULL));
