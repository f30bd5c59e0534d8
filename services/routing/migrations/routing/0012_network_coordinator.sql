-- A network coordinator (the change agents' network, services/network) signs in here and is passed on to the
-- network; routing shows them nothing of cases.
ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check
    CHECK (role IN ('coordinator', 'professional', 'manager', 'admin', 'network_coordinator'));
