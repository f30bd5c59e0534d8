-- Tasks a network coordinator publishes to a segment, and each agent's copy: mailed once (the primary key),
-- reached by a link of its own (only the token's SHA-256), accepted, reported with figures and a sealed note.
CREATE TABLE tasks (
    task_id uuid PRIMARY KEY,
    region text NOT NULL,
    title_fi text NOT NULL,
    title_sv text NOT NULL,
    brief_fi text NOT NULL,
    brief_sv text NOT NULL,
    due date NOT NULL,
    segment jsonb NOT NULL,
    published_at timestamptz NOT NULL,
    published_by text NOT NULL
);
CREATE INDEX tasks_region ON tasks (region, published_at);

CREATE TABLE task_assignments (
    task_id uuid NOT NULL REFERENCES tasks (task_id),
    agent_id uuid NOT NULL REFERENCES agents (agent_id),
    link_digest bytea NOT NULL UNIQUE,
    accepted_at timestamptz,
    reported_at timestamptz,
    reached integer CHECK (reached >= 0),
    note jsonb,
    PRIMARY KEY (task_id, agent_id)
);
