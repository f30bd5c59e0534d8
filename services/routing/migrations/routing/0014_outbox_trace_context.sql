-- The W3C trace context of the work that wrote the row (shared/tracing.py), kept until the relay sends it in
-- the record's headers, so the trace survives the outbox and a relay that publishes it minutes later.
-- Beside `headers` rather than in it: those are the record's own, these the writer's, read by the relay.
ALTER TABLE outbox ADD COLUMN traceparent text, ADD COLUMN tracestate text;
