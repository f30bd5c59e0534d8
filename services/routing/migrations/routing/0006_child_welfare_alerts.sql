-- The warning that a flagged child-welfare concern has no notification yet is raised once per case, like the
-- deadline alerts: the same table, a third kind.
ALTER TABLE deadline_alerts DROP CONSTRAINT deadline_alerts_kind_check;
ALTER TABLE deadline_alerts ADD CONSTRAINT deadline_alerts_kind_check
    CHECK (kind IN ('warning', 'missed', 'child_welfare'));
