-- Intake's own secrets, wrapped with the KEK like a case's key, so that a KEK rotation rewraps them
-- (`python -m services.intake keys rewrap`) instead of changing them: the pick-up codes' hashing key.
CREATE TABLE wrapped_secrets (
    name text PRIMARY KEY,
    id uuid NOT NULL,
    kek_id text NOT NULL,
    nonce text NOT NULL,
    wrapped text NOT NULL
);
