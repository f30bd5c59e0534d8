
CREATE TABLE wait_tenths (
    region text NOT NULL,
    measure "char" NOT NULL,
    month date NOT NULL,
    municipality text NOT NULL,
    team text NOT NULL,
    tenths int NOT NULL,
    n int NOT NULL,
    PRIMARY KEY (region, measure, tenths, month, municipality, team) INCLUDE (n)
);
CREATE TABLE wait_hours (
    region text NOT NULL,
    measure "char" NOT NULL,
    month date NOT NULL,
    municipality text NOT NULL,
    team text NOT NULL,
    hour int NOT NULL,
    n int NOT NULL,
    PRIMARY KEY (region, month, measure, municipality, team, hour)
);
-- The tenths of one group's middle hours, for each grouping (the primary key serves the whole region).
CREATE INDEX wait_tenths_municipality ON wait_tenths (region, measure, municipality, tenths) INCLUDE (month, team, n);
CREATE INDEX wait_tenths_team ON wait_tenths (region, measure, team, tenths) INCLUDE (month, municipality, n);
CREATE INDEX wait_tenths_month ON wait_tenths (region, measure, month, tenths) INCLUDE (municipality, team, n);
CREATE INDEX wait_tenths_empty ON wait_tenths (region) WHERE n = 0;
CREATE INDEX wait_hours_empty ON wait_hours (region) WHERE n = 0;
;
INSERT INTO wait_tenths AS h (region, measure, month, municipality, team, tenths, n) SELECT region, measure, month, municipality, team, tenths, sum(sign) FROM (SELECT f.region, w.measure, f.month, f.municipality, coalesce(f.response_team, f.team_id, '') AS team, w.tenths, f.sign FROM (SELECT 1 AS sign, * FROM case_facts) f CROSS JOIN LATERAL (VALUES ('b'::"char", round(f.response_business_hours * 10)::int), ('c'::"char", round(f.response_calendar_hours * 10)::int)) AS w(measure, tenths) WHERE f.first_response_at IS NOT NULL AND w.tenths IS NOT NULL) w GROUP BY region, measure, month, municipality, team, tenths HAVING sum(sign) <> 0 ON CONFLICT (region, measure, month, municipality, team, tenths) DO UPDATE SET n = h.n + EXCLUDED.n;
INSERT INTO wait_hours AS h (region, measure, month, municipality, team, hour, n) SELECT region, measure, month, municipality, team, tenths / 10, sum(sign) FROM (SELECT f.region, w.measure, f.month, f.municipality, coalesce(f.response_team, f.team_id, '') AS team, w.tenths, f.sign FROM (SELECT 1 AS sign, * FROM case_facts) f CROSS JOIN LATERAL (VALUES ('b'::"char", round(f.response_business_hours * 10)::int), ('c'::"char", round(f.response_calendar_hours * 10)::int)) AS w(measure, tenths) WHERE f.first_response_at IS NOT NULL AND w.tenths IS NOT NULL) w GROUP BY region, measure, month, municipality, team, tenths / 10 HAVING sum(sign) <> 0 ON CONFLICT (region, measure, month, municipality, team, hour) DO UPDATE SET n = h.n + EXCLUDED.n