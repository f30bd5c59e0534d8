-- Routing's staff directory as far as the network needs it: who is a network coordinator of which region, whether
-- the account is active, and when the person last signed out of routing. A coordinator's session is checked
-- against it on every request (coordinators.py). No name, no address, no key.
CREATE TABLE staff_accounts (
    account_id text PRIMARY KEY,
    region text NOT NULL,
    role text NOT NULL,
    active boolean NOT NULL,
    signed_out_at timestamptz
);
