-- Each agent's personal link (profile, pause, leave; no password): only the SHA-256 of its random token.
ALTER TABLE agents ADD COLUMN link_digest bytea UNIQUE;
ALTER TABLE agents ADD COLUMN left_at timestamptz;
