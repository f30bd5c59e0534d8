-- Each coordinator session has its own CSRF token, sent back by every form it posts (coordinators.py), and
-- remembers when the routing session that vouched for it began: signing out of routing ends it.
ALTER TABLE coordinator_sessions ADD COLUMN csrf text NOT NULL DEFAULT '';
ALTER TABLE coordinator_sessions ADD COLUMN routing_session_started timestamptz;
-- Sessions opened before this file have no token of their own and no routing session: they end now.
DELETE FROM coordinator_sessions;
