-- A password reset's record from the staff topic (the one-time token sealed with the reset's own key), kept
-- until its mail is sent or routing's tombstone takes it away; one per account, the latest.
CREATE TABLE staff_resets (
    account_id text PRIMARY KEY,
    reset_id uuid NOT NULL,
    region text NOT NULL,
    record jsonb NOT NULL
);
