-- The region's service directory as its compacted directory topic holds it (shared/directory_projection.py):
-- the family's status page names the service they were referred to with its public channels. Public data.
CREATE TABLE directory_services (
    region text NOT NULL,
    service_id text NOT NULL,
    source text NOT NULL,
    kind text NOT NULL,
    hidden boolean NOT NULL,
    languages text[] NOT NULL,
    municipalities text[] NOT NULL,
    search_text text NOT NULL,
    service jsonb NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (region, service_id)
);
