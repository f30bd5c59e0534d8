-- The blind index of the families' phone numbers and e-mail addresses, beside each case: the HMAC-SHA-256
-- of the normalised value (E.164, or the lower-cased address) under a key derived from a KEK, one row per
-- KEK it was made under. Never the value itself; gone with the case's key (erasure). Derived from the case
-- stream and the key topic, so a rebuild makes it again (services/routing/search_index.py).
CREATE TABLE contact_index (
    case_id uuid NOT NULL,
    region text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('phone', 'email')),
    kek_id text NOT NULL,
    digest text NOT NULL,
    PRIMARY KEY (case_id, kind, kek_id)
);
CREATE INDEX contact_index_digest ON contact_index (region, digest);
-- Which cases were indexed, and under which KEK: a case with no phone or e-mail has a row here and none
-- above, so the indexer's sweep never opens it twice; a case indexed under an earlier KEK is indexed again.
CREATE TABLE contact_indexed (
    case_id uuid PRIMARY KEY,
    kek_id text NOT NULL
);
