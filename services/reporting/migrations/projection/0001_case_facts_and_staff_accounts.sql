
    CREATE TABLE case_facts (
        case_id uuid PRIMARY KEY,
        record_key int NOT NULL,
        region text NOT NULL,
        municipality text NOT NULL,
        received_at timestamptz NOT NULL,
        local_date date NOT NULL,
        week date NOT NULL,
        month date NOT NULL,
        local_hour smallint NOT NULL,
        weekday smallint NOT NULL,
        time_of_contact text NOT NULL,
        language text NOT NULL,
        requester_role text NOT NULL,
        child_age_group text,
        contact_method text NOT NULL,
        anonymous boolean NOT NULL,
        topic_family text,
        topic_triage text,
        topic text,
        urgency text,
        child_welfare_concern boolean NOT NULL DEFAULT false,
        child_welfare_notified boolean NOT NULL DEFAULT false,
        team_id text,
        answer_due date NOT NULL,
        due_at timestamptz NOT NULL,
        first_response_at timestamptz,
        first_response_kind text,
        response_team text,
        response_business_hours real,
        response_calendar_hours real,
        handoffs int NOT NULL DEFAULT 0,
        referrals int NOT NULL DEFAULT 0,
        referred_service text,
        referred_kind text,
        outcome text,
        closed_at timestamptz,
        reopened int NOT NULL DEFAULT 0,
        feedback smallint
    );
    CREATE INDEX case_facts_region_date ON case_facts (region, local_date);
    CREATE INDEX case_facts_region_municipality_date ON case_facts (region, municipality, local_date);
    CREATE TABLE staff_accounts (
        account_id text PRIMARY KEY,
        region text NOT NULL,
        role text NOT NULL,
        active boolean NOT NULL
    );
    