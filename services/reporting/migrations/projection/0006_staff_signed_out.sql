-- When the person last signed out of the staff pages (routing republishes their directory record then):
-- every statistics session that came from a sign-in before it ends with it.
ALTER TABLE staff_accounts ADD COLUMN signed_out_at timestamptz;
