-- A family's message as intake stored it (sealed, with its event): the status page shows it at once,
-- before the projection has it.
ALTER TABLE family_writes ADD COLUMN event_id uuid, ADD COLUMN sealed jsonb;
