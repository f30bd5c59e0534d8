-- What the directory sync last published per service (the digest of its record), so a sync publishes only the
-- services that changed and removes the ones gone from PTV. The command side of the directory topic.
CREATE TABLE directory_published (
    region text NOT NULL,
    service_id text NOT NULL,
    digest text NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (region, service_id)
);
