-- A professional's absences (Helsinki dates, inclusive) with the substitute who covers: a person or a team.
-- Cancelling keeps the row (the history says who recorded and who cancelled it).
CREATE TABLE absences (
    absence_id uuid PRIMARY KEY,
    account_id text NOT NULL,
    region text NOT NULL,
    starts date NOT NULL,
    ends date NOT NULL CHECK (ends >= starts),
    substitute_kind text CHECK (substitute_kind IN ('professional', 'team')),
    substitute_id text,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL,
    cancelled_at timestamptz
);
CREATE INDEX absences_account ON absences (account_id, ends);
CREATE INDEX absences_region ON absences (region, ends);
