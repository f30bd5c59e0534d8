-- The command side of the reply templates: each template's latest version under a row lock, so two
-- coordinators editing at once never both succeed. `record` is NULL once the template is removed.
CREATE TABLE template_commands (
    template_id uuid PRIMARY KEY,
    region text NOT NULL,
    version int NOT NULL,
    record jsonb
);
