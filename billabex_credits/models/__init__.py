from . import res_company
from . import res_config_settings
from . import res_partner
from . import account_move
from . import account_partial_reconcile
from . import billabex_credit_allocator
from . import billabex_reminder_level
from . import billabex_reminder
