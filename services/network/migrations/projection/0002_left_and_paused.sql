-- When an agent paused or left: the registry keeps them, without anything personal, so counts remain.
ALTER TABLE registry ADD COLUMN left_at timestamptz;
