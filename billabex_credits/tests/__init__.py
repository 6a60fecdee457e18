# pdf_corpus is also used without Odoo (pure tests, benchmark): load the Odoo
# tests only when Odoo imports the addon.
if __name__.startswith("odoo.addons."):
    from . import test_allocation
    from . import test_manual_control
    from . import test_outstanding
    from . import test_isolation
    from . import test_access
    from . import test_concurrency
    from . import test_dunning
    from . import test_pdf_import
    from . import test_sync
