-- When the routing session that vouched for a statistics session began: signing out of routing after it
-- ends this session too. A session opened before this column existed counts as begun at the start of time,
-- so the next sign-out ends it.
ALTER TABLE sessions ADD COLUMN routing_session_started timestamptz NOT NULL DEFAULT '-infinity';
ALTER TABLE sessions ALTER COLUMN routing_session_started DROP DEFAULT;
