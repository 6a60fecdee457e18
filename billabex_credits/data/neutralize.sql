-- A copied database never syncs with the billing tools of the original one.
UPDATE billabex_connector SET active = false;
