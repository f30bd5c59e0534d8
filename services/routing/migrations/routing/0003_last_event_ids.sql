-- The events of the last command: a case view offers its version only once the projection shows them.
ALTER TABLE case_commands ADD COLUMN last_event_ids uuid[] NOT NULL DEFAULT '{}';