-- How the service answered a case's latest referral (referral.sent and its answers): the answer, when it was
-- sent, the working hours until it was accepted and a decline's reason. Dimensions of the rollup (cells.py:
-- referral_answer, referral_decline, referral_accept_time); the facts kept so far have none, so no cells.
ALTER TABLE case_facts ADD COLUMN referral_answer text;
ALTER TABLE case_facts ADD COLUMN referral_sent_at timestamptz;
ALTER TABLE case_facts ADD COLUMN referral_accept_hours real;
ALTER TABLE case_facts ADD COLUMN referral_decline text;
