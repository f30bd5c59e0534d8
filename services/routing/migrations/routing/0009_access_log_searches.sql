-- Searches in the access log: who searched, when, the kind of term (reference, phone, email, dates) and
-- how many cases were found; never the term. A search names no one case, so its row has no case_id.
ALTER TABLE access_log ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE access_log ADD COLUMN term_kind text CHECK (term_kind IN ('reference', 'phone', 'email', 'dates'));
ALTER TABLE access_log ADD COLUMN hits int CHECK (hits >= 0);
ALTER TABLE access_log ADD CONSTRAINT access_log_search_or_case
    CHECK ((term_kind IS NULL) = (case_id IS NOT NULL) AND (term_kind IS NULL) = (hits IS NULL));
