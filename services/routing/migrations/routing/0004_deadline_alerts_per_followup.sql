-- Each follow-up has its own promised day, so its warning and miss are raised once each: 0 is the first request.
ALTER TABLE deadline_alerts ADD COLUMN followup int NOT NULL DEFAULT 0;
ALTER TABLE deadline_alerts DROP CONSTRAINT deadline_alerts_pkey;
ALTER TABLE deadline_alerts ADD PRIMARY KEY (case_id, kind, followup);
