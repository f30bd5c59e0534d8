-- The change agents' network as the region's statistics show it: agents by municipality, sector and the day they
-- applied, tasks' completion, and survey answers counted per choice. Nothing personal: the network's sealed data
-- never reaches reporting (it holds no agent key), and an anonymous survey's answers come without their agent.
CREATE TABLE network_agents (
    agent_id uuid PRIMARY KEY,
    region text NOT NULL,
    municipality text NOT NULL,
    sector text NOT NULL,
    applied_on date NOT NULL,
    status text NOT NULL
);
CREATE TABLE network_campaigns (
    campaign_id uuid PRIMARY KEY,
    region text NOT NULL,
    opening_day date NOT NULL,
    closing_day date NOT NULL
);
CREATE TABLE network_tasks (
    task_id uuid PRIMARY KEY,
    region text NOT NULL,
    title_fi text NOT NULL,
    title_sv text NOT NULL,
    published_on date NOT NULL,
    recipients integer NOT NULL,
    accepted integer NOT NULL DEFAULT 0,
    reported integer NOT NULL DEFAULT 0
);
CREATE TABLE network_surveys (
    survey_id uuid PRIMARY KEY,
    region text NOT NULL,
    title_fi text NOT NULL,
    title_sv text NOT NULL,
    questions jsonb NOT NULL,
    answers integer NOT NULL DEFAULT 0
);
CREATE TABLE network_survey_cells (
    survey_id uuid NOT NULL,
    question integer NOT NULL,
    choice integer NOT NULL,
    answers integer NOT NULL,
    PRIMARY KEY (survey_id, question, choice)
);
