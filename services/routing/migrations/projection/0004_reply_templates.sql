-- The region's reply templates as the compacted templates topic holds them (rebuilt from it).
CREATE TABLE reply_templates (
    template_id uuid PRIMARY KEY,
    region text NOT NULL,
    version int NOT NULL,
    language text NOT NULL,
    title text NOT NULL,
    text text NOT NULL,
    topic text,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL
);
CREATE INDEX reply_templates_region ON reply_templates (region, language);
