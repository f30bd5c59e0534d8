-- Where each processed event was read, so that the deduplication window can forget events far behind
-- the stored offsets (shared/applier.py, DedupWindow). Rows from before this have no position and stay.
ALTER TABLE processed_events ADD COLUMN topic text, ADD COLUMN partition int, ADD COLUMN record_offset bigint;
CREATE INDEX processed_events_position ON processed_events (topic, partition, record_offset);
