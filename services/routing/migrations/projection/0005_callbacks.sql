-- Calls to families: one row per scheduled call and how it ended, for the "callbacks today" page.
-- Nothing personal: staff account ids, the case's team, and the window's times.
CREATE TABLE callbacks (
    callback_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    region text NOT NULL,
    team_id text,
    caller text,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('scheduled', 'cancelled', 'replaced', 'attempted', 'reached')),
    scheduled_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX callbacks_region_day ON callbacks (region, starts_at);
CREATE INDEX callbacks_case ON callbacks (case_id) WHERE status = 'scheduled';
