from . import billabex_credit_note_upload
