-- Which event a case's sealed contact details came in: they open only as that event's field (shared/places.py).
-- Every case so far came by the button; a contact staff recorded comes in request.recorded.
ALTER TABLE case_contacts ADD COLUMN sealed_in text NOT NULL DEFAULT 'request.submitted';
