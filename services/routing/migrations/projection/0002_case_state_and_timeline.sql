
    ALTER TABLE cases ADD COLUMN state jsonb, ADD COLUMN urgency text NOT NULL DEFAULT 'normal',
        ADD COLUMN child_welfare_concern boolean NOT NULL DEFAULT false, ADD COLUMN assignee_kind text,
        ADD COLUMN assignee_id text, ADD COLUMN team_id text, ADD COLUMN first_response_at timestamptz,
        ADD COLUMN closed_at timestamptz, ADD COLUMN outcome text;
    CREATE INDEX cases_team ON cases (team_id) WHERE status <> 'closed';
    CREATE TABLE case_timeline (
        event_id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        at timestamptz NOT NULL,
        type text NOT NULL,
        actor text NOT NULL,
        data jsonb NOT NULL,
        sealed jsonb
    );
    CREATE INDEX case_timeline_case ON case_timeline (case_id, at);
    