from odoo import api, fields, models

# The levels a company starts with: (xml id suffix of the mail template,
# days after the due date of the oldest uncovered overdue invoice, approval).
DEFAULT_LEVELS = [
    ("courtesy", 3, False),
    ("second", 15, False),
    ("third", 30, False),
    ("formal_notice", 45, True),
]


class BillabexReminderLevel(models.Model):
    _name = "billabex.reminder.level"
    _description = "Reminder Level"
    _order = "company_id, sequence, days, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    days = fields.Integer(
        string="Days Late",
        required=True,
        help="Sent when the oldest overdue invoice not covered by credit notes is "
        "this many days past its due date.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        required=True,
        domain="[('model', '=', 'billabex.reminder')]",
    )
    needs_approval = fields.Boolean(
        help="Reminders of this level wait for an Invoicing manager before they are sent "
        "(e.g. a formal notice).",
    )

    _sql_constraints = [
        ("days_positive", "CHECK(days >= 0)", "The days late of a level cannot be negative."),
    ]

    @api.model
    def _default_level_names(self):
        """The default names in the language of ``self.env``."""
        return {
            "courtesy": self.env._("Courtesy reminder"),
            "second": self.env._("Second reminder"),
            "third": self.env._("Third reminder"),
            "formal_notice": self.env._("Formal notice"),
        }

    @api.model
    def _create_default_levels(self, companies=None):
        """Give each company without levels the default ones."""
        companies = companies or self.env["res.company"].search([])
        existing = set(
            self.with_context(active_test=False)
            .search([("company_id", "in", companies.ids)])
            .company_id.ids
        )
        names = self.with_context(lang="en_US")._default_level_names()
        vals, keys = [], []
        for company in companies.filtered(lambda c: c.id not in existing):
            for sequence, (key, days, approval) in enumerate(DEFAULT_LEVELS, start=1):
                template = "formal_notice" if key == "formal_notice" else "reminder"
                keys.append(key)
                vals.append(
                    {
                        "name": names[key],
                        "sequence": sequence * 10,
                        "company_id": company.id,
                        "days": days,
                        "needs_approval": approval,
                        "mail_template_id": self.env.ref(
                            f"billabex_credits.mail_template_{template}"
                        ).id,
                    }
                )
        levels = self.sudo().with_context(lang="en_US").create(vals)
        # Every installed language gets the names in its own words.
        for lang, _name in self.env["res.lang"].get_installed():
            if lang == "en_US":
                continue
            translated = self.with_context(lang=lang)._default_level_names()
            for level, key in zip(levels, keys, strict=True):
                level.update_field_translations("name", {lang: translated[key]})
        return levels
