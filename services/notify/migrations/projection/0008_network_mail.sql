-- The change agents' network's mail: each agent's data key from the network key topic (wrapped under the
-- network's own key; a leaver's tombstone deletes it), and each message's sealed address and link, kept until
-- it is sent (then only the delivery row stays) or the agent leaves.
CREATE TABLE agent_keys (
    agent_id uuid PRIMARY KEY,
    region text NOT NULL,
    kek_id text NOT NULL,
    nonce text NOT NULL,
    wrapped text NOT NULL
);

CREATE TABLE network_mail (
    mail_id uuid PRIMARY KEY,
    agent_id uuid NOT NULL,
    region text NOT NULL,
    content jsonb NOT NULL
);
CREATE INDEX network_mail_agent ON network_mail (agent_id);
