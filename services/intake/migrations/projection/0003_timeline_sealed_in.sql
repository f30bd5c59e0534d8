-- The type of the event each sealed text came in: a text opens only as the field of that event type
-- (shared/sealing.py binds it so). Rows projected before have none; only texts sealed before the binding
-- open there, and a rebuild fills it in.
ALTER TABLE family_timeline ADD COLUMN sealed_in text;
