-- Surveys. Who was invited and who has answered is only here (survey_invitations); an anonymous survey's answers
-- wait in pending_answers without an agent or a time until a shuffled batch leaves for the stream, and are kept in
-- survey_results without either. A named survey's answers are kept in survey_results too, for its results.
CREATE TABLE surveys (
    survey_id uuid PRIMARY KEY,
    region text NOT NULL,
    title_fi text NOT NULL,
    title_sv text NOT NULL,
    anonymous boolean NOT NULL,
    due date NOT NULL,
    questions jsonb NOT NULL,
    segment jsonb NOT NULL,
    published_at timestamptz NOT NULL,
    published_by text NOT NULL
);

CREATE TABLE survey_invitations (
    survey_id uuid NOT NULL REFERENCES surveys (survey_id),
    agent_id uuid NOT NULL REFERENCES agents (agent_id),
    link_digest bytea NOT NULL UNIQUE,
    -- The link itself sealed with the agent's key, for the one reminder (erased with the key).
    link_sealed jsonb NOT NULL,
    answered boolean NOT NULL DEFAULT false,
    reminded boolean NOT NULL DEFAULT false,
    PRIMARY KEY (survey_id, agent_id)
);

CREATE TABLE pending_answers (
    answer_id uuid PRIMARY KEY,
    survey_id uuid NOT NULL REFERENCES surveys (survey_id),
    answers jsonb NOT NULL
);

CREATE TABLE survey_results (
    answer_id uuid PRIMARY KEY,
    survey_id uuid NOT NULL REFERENCES surveys (survey_id),
    answers jsonb NOT NULL
);
CREATE INDEX survey_results_survey ON survey_results (survey_id);
