-- How a case was closed (outcome and the service referred to) and when staff last answered the family.
ALTER TABLE family_case_state ADD COLUMN outcome text, ADD COLUMN referred_to text,
    ADD COLUMN last_answer_at timestamptz;
