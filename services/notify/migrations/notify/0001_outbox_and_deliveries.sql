
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key bytea,
    value bytea,
    headers jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now()
);

    CREATE TABLE deliveries (
        notification_id uuid PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('sending', 'retry', 'sent', 'failed', 'expired')),
        attempts int NOT NULL DEFAULT 0,
        last_attempt_at timestamptz,
        next_attempt_at timestamptz,
        sent_at timestamptz,
        last_error text
    );
    CREATE INDEX deliveries_retry ON deliveries (next_attempt_at) WHERE status IN ('retry', 'sending');
    