-- A referral sent by link: what the mail to the service's referral mailbox needs to sign its link when it goes
-- out (the referral, the service, when it was sent); nothing of the family and no note.
CREATE TABLE referral_mail (
    cause_event_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    service_id text NOT NULL,
    sent_at timestamptz NOT NULL
);
