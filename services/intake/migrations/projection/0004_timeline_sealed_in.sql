-- The type of the event each sealed text came in: a text opens only as the field of that event type
-- (shared/sealing.py binds it so). Rows projected before have none; the status view tells their type by who
-- wrote them (services/intake/queries.py), and a rebuild fills it in.
ALTER TABLE family_timeline ADD COLUMN sealed_in text;
