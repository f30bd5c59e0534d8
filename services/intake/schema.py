"""Intake's own tables: accepted requests, their data keys, and the outbox."""

from shared.outbox import OUTBOX_DDL

MIGRATIONS = [
    """
    CREATE TABLE requests (
        case_id uuid PRIMARY KEY,
        submission_id uuid NOT NULL UNIQUE,
        reference text NOT NULL UNIQUE,
        region text NOT NULL,
        municipality text NOT NULL,
        language text NOT NULL,
        contact_method text NOT NULL,
        answer_due date NOT NULL,
        received_at timestamptz NOT NULL
    );
    CREATE TABLE case_keys (
        case_id uuid PRIMARY KEY REFERENCES requests (case_id),
        kek_id text NOT NULL,
        nonce text NOT NULL,
        wrapped text NOT NULL
    );
    """
    + OUTBOX_DDL,
]
