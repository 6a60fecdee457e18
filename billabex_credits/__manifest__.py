{
    "name": "Billabex Credits",
    "summary": "Credit notes (avoirs) applied automatically to open invoices, "
    "oldest first, with the real outstanding per customer",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Billabex",
    "website": "https://github.com/billabex/billabex_credits",
    "maintainers": ["billabex"],
    "development_status": "Beta",
    "depends": ["account"],
    "external_dependencies": {"python": []},
    "data": [
        "security/ir.model.access.csv",
        "views/account_move_views.xml",
        "views/account_partial_reconcile_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/billabex_credits_menus.xml",
        "data/ir_cron_data.xml",
    ],
    "demo": [
        "demo/account_move_demo.xml",
    ],
    "installable": True,
    "application": True,
}
