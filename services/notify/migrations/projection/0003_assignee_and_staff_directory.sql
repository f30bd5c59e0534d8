
    ALTER TABLE case_contacts ADD COLUMN assignee_id text;
    CREATE TABLE staff_directory (
        account_id text PRIMARY KEY,
        region text NOT NULL,
        record jsonb NOT NULL
    );
    