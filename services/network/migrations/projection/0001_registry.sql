-- The registry as the stream tells it: who is in which state, where and in what field; nothing personal.
CREATE TABLE registry (
    agent_id uuid PRIMARY KEY,
    region text NOT NULL,
    campaign_id uuid NOT NULL,
    status text NOT NULL,
    municipality text NOT NULL,
    sector text NOT NULL,
    themes text[] NOT NULL,
    languages text[] NOT NULL,
    applied_at timestamptz NOT NULL,
    confirmed_at timestamptz
);
CREATE INDEX registry_region ON registry (region, status);

CREATE TABLE campaign_view (
    campaign_id uuid PRIMARY KEY,
    region text NOT NULL,
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    closing_day date NOT NULL
);

-- The network key topic: a wrapped agent key, or a tombstone that erases it.
CREATE TABLE agent_keys (
    agent_id uuid PRIMARY KEY,
    region text NOT NULL,
    kek_id text NOT NULL,
    nonce text NOT NULL,
    wrapped text NOT NULL
);
