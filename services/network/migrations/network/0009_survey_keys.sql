-- A survey's free-text answers leave for the stream sealed with a key of the survey's own, wrapped
-- under the network's key (shared/network_keys.py) and published on the network key topic; when the region's
-- retention for the texts ends, the key is deleted here and tombstoned there (survey_texts.py), and the texts
-- kept here are emptied: nothing anywhere reads them again.
CREATE TABLE wrapped_survey_keys (
    survey_id uuid PRIMARY KEY REFERENCES surveys (survey_id),
    region text NOT NULL,
    kek_id text NOT NULL,
    nonce text NOT NULL,
    wrapped text NOT NULL
);
ALTER TABLE surveys ADD COLUMN texts_erased_at timestamptz;
-- An answer's free texts are kept here sealed with the survey's key too ({question: text}); the answer
-- itself keeps its choices, scores and numbers, with nothing in place of a text.
ALTER TABLE pending_answers ADD COLUMN texts_sealed jsonb;
ALTER TABLE survey_results ADD COLUMN texts_sealed jsonb;
