-- How many text messages each number got on a Helsinki day, for the region's daily cap. The number itself is
-- never kept: a row is keyed by the blind-index digest of its E.164 form (an HMAC under a key derived from the
-- KEK named by kek_id), and the sender deletes the rows of days that are over.
CREATE TABLE sms_daily_counts (
    day date NOT NULL,
    kek_id text NOT NULL,
    digest text NOT NULL,
    sent int NOT NULL CHECK (sent > 0),
    PRIMARY KEY (day, kek_id, digest)
);
