-- One row per follow-up (the family wrote again after being answered): when, the day it was promised and when
-- it was answered. The region, municipality and dates are the follow-up's own, so the dashboards' filters apply.
CREATE TABLE followup_facts (
    case_id uuid NOT NULL,
    followup int NOT NULL,
    record_key int NOT NULL,
    region text NOT NULL,
    municipality text NOT NULL,
    written_at timestamptz NOT NULL,
    local_date date NOT NULL,
    month date NOT NULL,
    promised_day date NOT NULL,
    due_at timestamptz NOT NULL,
    answered_at timestamptz,
    PRIMARY KEY (case_id, followup)
);
CREATE INDEX followup_facts_region_date ON followup_facts (region, local_date);
