-- News a network coordinator broadcasts to a segment, and each agent's copy (mailed once: the primary key), read
-- by a link of its own (only the token's SHA-256). An agent who unsubscribed gets no more news.
ALTER TABLE agents ADD COLUMN news_unsubscribed_at timestamptz;

CREATE TABLE news (
    news_id uuid PRIMARY KEY,
    region text NOT NULL,
    title_fi text NOT NULL,
    title_sv text NOT NULL,
    body_fi text NOT NULL,
    body_sv text NOT NULL,
    segment jsonb NOT NULL,
    published_at timestamptz NOT NULL,
    published_by text NOT NULL
);

CREATE TABLE news_deliveries (
    news_id uuid NOT NULL REFERENCES news (news_id),
    agent_id uuid NOT NULL REFERENCES agents (agent_id),
    link_digest bytea NOT NULL UNIQUE,
    PRIMARY KEY (news_id, agent_id)
);
