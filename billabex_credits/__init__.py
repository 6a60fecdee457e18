# The pure services (``billabex_credits.services``) are also imported outside
# Odoo, by the tests that run without it; the Odoo layer only loads when Odoo
# itself imports the addon.
if __name__.startswith("odoo.addons."):
    from . import models
    from . import wizards
