
CREATE TABLE projection_offsets (
    topic text NOT NULL,
    partition int NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE processed_events (event_id uuid PRIMARY KEY);
