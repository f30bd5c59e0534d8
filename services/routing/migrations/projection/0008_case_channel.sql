-- How the family got in touch: 'button' (the form) for every request so far, or a contact staff recorded
-- ('phone', 'in_person', 'letter'; the event request.recorded), so the queue and the case page can say so.
ALTER TABLE cases ADD COLUMN channel text NOT NULL DEFAULT 'button';
