-- A region's recruitment: applications are taken from opens_at until closes_at (the end of the closing day in
-- Helsinki time, worked out once when the campaign is opened, so a daylight-saving change is already in it).
CREATE TABLE campaigns (
    campaign_id uuid PRIMARY KEY,
    region text NOT NULL,
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    closing_day date NOT NULL,
    consent_version text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (opens_at < closes_at)
);
CREATE INDEX campaigns_region ON campaigns (region, opens_at);

-- An applicant, and from the confirmation on an agent. Personal data only sealed with the agent's own key;
-- the tokens of the links only as SHA-256 digests (a token is 32 random bytes: no guessing).
CREATE TABLE agents (
    agent_id uuid PRIMARY KEY,
    submission_id uuid NOT NULL UNIQUE,
    campaign_id uuid NOT NULL REFERENCES campaigns (campaign_id),
    region text NOT NULL,
    status text NOT NULL CHECK (status IN ('applied', 'confirmed', 'active', 'paused', 'left')),
    municipality text NOT NULL,
    sector text NOT NULL,
    themes text[] NOT NULL,
    languages text[] NOT NULL,
    language text NOT NULL,
    consent_version text NOT NULL,
    applied_at timestamptz NOT NULL,
    confirmed_at timestamptz,
    personal jsonb,
    confirm_digest bytea UNIQUE,
    confirm_expires_at timestamptz
);
CREATE INDEX agents_region_status ON agents (region, status);

-- Each agent's data key wrapped under the network's own key (shared/network_keys.py); deleted when they leave.
-- Not named agent_keys: that is the projection's copy from the key topic, and the pool's search path holds both.
CREATE TABLE wrapped_agent_keys (
    agent_id uuid PRIMARY KEY REFERENCES agents (agent_id) ON DELETE CASCADE,
    region text NOT NULL,
    kek_id text NOT NULL,
    nonce text NOT NULL,
    wrapped text NOT NULL
);

CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key bytea,
    value bytea,
    headers jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now()
);
