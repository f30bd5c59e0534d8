-- The trace context of the record that made a notification due, as its producer sent it (not the apply
-- span's, so a rebuild writes the same), so the sending continues that trace and its notification.sent does.
ALTER TABLE notifications_due ADD COLUMN traceparent text, ADD COLUMN tracestate text;
