import html

from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import format_amount

from .common import TODAY, BillabexCreditsCommon

D = "2025-06-30"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunning(BillabexCreditsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "ap@customer.example"
        cls.Reminder = cls.env["billabex.reminder"]
        cls.levels = cls.env["billabex.reminder.level"].search(
            [("company_id", "=", cls.env.company.id)]
        )
        if not cls.levels:
            cls.levels = cls.env["billabex.reminder.level"]._create_default_levels(cls.env.company)
        cls.courtesy, cls.second, cls.third, cls.formal = cls.levels.sorted("sequence")

    def _fmt(self, amount):
        return format_amount(self.env, amount, self.env.company.currency_id)

    def _prepare(self, date=D):
        reminders = self.Reminder.prepare_reminders(date)
        return reminders.filtered(lambda r: r.partner_id == self.customer)

    def _lines(self, reminder, section):
        return reminder.line_ids.filtered(lambda line: line.section == section)

    def test_fully_credited_invoice_is_never_reminded(self):
        invoice = self._invoice(1000, "2025-05-01", due="2025-05-31")
        self._credit_note(1000, "2025-06-01")
        self.assertFalse(self._prepare())
        self.assertFalse(self.env["billabex.reminder.line"].search([("move_id", "=", invoice.id)]))

    def test_partly_credited_invoice_claims_the_remaining_balance(self):
        invoice = self._invoice(1000, "2025-05-01", due="2025-05-31")
        credit_note = self._credit_note(300, "2025-06-01")
        reminder = self._prepare()
        self.assertRecordValues(
            reminder,
            [
                {
                    "amount_claimed": 700.0,
                    "amount_overdue": 700.0,
                    "amount_unapplied_credit": 0.0,
                    "level_id": self.third.id,
                    "days_late": 30,
                    "state": "draft",
                }
            ],
        )
        self.assertRecordValues(
            self._lines(reminder, "overdue"),
            [
                {
                    "move_id": invoice.id,
                    "amount_original": 1000.0,
                    "amount_credited": 300.0,
                    "credit_note_refs": credit_note.name,
                    "amount_paid": 0.0,
                    "amount_remaining": 700.0,
                    "days_late": 30,
                }
            ],
        )

    def test_unapplied_credit_note_is_deducted_and_listed(self):
        self.env.company.billabex_auto_allocate = False
        inv1 = self._invoice(1000, "2025-04-01", due="2025-05-01")  # D-60
        inv2 = self._invoice(500, "2025-05-20", due="2025-06-20")  # D-10
        credit_note = self._credit_note(400, "2025-06-01")
        reminder = self._prepare()
        self.assertRecordValues(
            reminder,
            [
                {
                    "amount_overdue": 1500.0,
                    "amount_unapplied_credit": 400.0,
                    "amount_claimed": 1100.0,
                    "days_late": 60,
                    "level_id": self.formal.id,
                }
            ],
        )
        self.assertEqual(self._lines(reminder, "overdue").move_id, inv1 + inv2)
        self.assertRecordValues(
            self._lines(reminder, "credit"),
            [
                {"move_id": credit_note.id, "amount_remaining": -400.0},
            ],
        )
        # Nothing was reconciled by the dunning.
        self.assertEqual(
            (inv1 + inv2 + credit_note).mapped("amount_residual"), [1000.0, 500.0, 400.0]
        )

    def test_unapplied_credit_covering_the_overdue_means_no_reminder(self):
        self.env.company.billabex_auto_allocate = False
        self._invoice(1000, "2025-05-01", due="2025-05-31")
        self._credit_note(1000, "2025-06-01")
        self.assertFalse(self._prepare())
        self._credit_note(1, "2025-06-02")  # now credit > overdue
        self.assertFalse(self._prepare())

    def test_not_yet_due_invoice_is_shown_not_claimed(self):
        self.env.company.billabex_auto_allocate = False
        self._invoice(1000, "2025-05-01", due="2025-06-10")
        later = self._invoice(2000, "2025-06-20", due="2025-07-20")
        self._credit_note(500, "2025-06-01")
        reminder = self._prepare()
        self.assertEqual(reminder.amount_claimed, 500.0)
        self.assertRecordValues(
            self._lines(reminder, "not_due"),
            [
                {"move_id": later.id, "amount_remaining": 2000.0},
            ],
        )

    def test_currencies_never_offset_each_other(self):
        self.env.company.billabex_auto_allocate = False
        eur = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        self._invoice(1000, "2025-05-01", due="2025-05-31")
        self._invoice(800, "2025-05-01", due="2025-05-31", currency=eur)
        self._credit_note(500, "2025-06-01", currency=eur)
        reminders = self._prepare()
        self.assertEqual(len(reminders), 2)
        usd = reminders.filtered(lambda r: r.currency_id == self.env.company.currency_id)
        self.assertRecordValues(usd, [{"amount_claimed": 1000.0, "amount_unapplied_credit": 0.0}])
        in_eur = reminders - usd
        self.assertRecordValues(
            in_eur,
            [{"currency_id": eur.id, "amount_claimed": 300.0, "amount_unapplied_credit": 500.0}],
        )

    def test_disputed_invoice_is_shown_not_claimed_nor_counted_for_the_level(self):
        disputed = self._invoice(800, "2025-03-01", due="2025-04-01")  # D-90
        self._invoice(200, "2025-06-01", due="2025-06-25")  # D-5
        disputed.write({"billabex_disputed": True, "billabex_dispute_reason": "Damaged goods"})
        reminder = self._prepare()
        self.assertRecordValues(
            reminder,
            [
                {
                    "amount_claimed": 200.0,
                    "level_id": self.courtesy.id,
                    "days_late": 5,
                }
            ],
        )
        self.assertRecordValues(
            self._lines(reminder, "disputed"),
            [
                {
                    "move_id": disputed.id,
                    "amount_remaining": 800.0,
                    "dispute_reason": "Damaged goods",
                }
            ],
        )

    def test_companies_never_offset_each_other(self):
        company_b = self.setup_other_company()
        self._invoice(1000, "2025-05-01", due="2025-05-31")
        self._credit_note(1000, "2025-06-01", company_data=company_b)
        reminders = (
            self.Reminder.with_context(
                allowed_company_ids=[self.env.company.id, company_b["company"].id]
            )
            .prepare_reminders(D)
            .filtered(lambda r: r.partner_id == self.customer)
        )
        self.assertRecordValues(
            reminders,
            [
                {
                    "company_id": self.env.company.id,
                    "amount_claimed": 1000.0,
                    "amount_unapplied_credit": 0.0,
                },
            ],
        )

    def test_draft_and_cancelled_credit_notes_are_ignored_and_in_payment_not_reminded(self):
        invoice = self._invoice(500, "2025-05-01", due="2025-05-31")
        self._credit_note(500, "2025-06-01", post=False)
        cancelled = self._credit_note(500, "2025-06-01", post=False)
        cancelled.button_cancel()
        reminder = self._prepare()
        self.assertRecordValues(
            reminder, [{"amount_claimed": 500.0, "amount_unapplied_credit": 0.0}]
        )
        self.assertFalse(self._lines(reminder, "credit"))
        # Odoo Community never leaves an invoice "in payment", add-ons do (bank
        # reconciliation pending): such an invoice is not reminded.
        self.env.cr.execute(
            "UPDATE account_move SET payment_state = 'in_payment' WHERE id = %s", [invoice.id]
        )
        invoice.invalidate_recordset()
        self.assertFalse(self._prepare())
        self.assertEqual(reminder.state, "cancelled")

    def test_credit_note_posted_before_sending_cancels_the_reminder(self):
        self._invoice(600, "2025-05-01", due="2025-05-31")
        reminder = self._prepare()
        self.assertEqual(reminder.amount_claimed, 600.0)
        self._credit_note(600, "2025-06-29")
        messages = self.env["mail.message"].search_count([])
        reminder.action_send()
        self.assertRecordValues(reminder, [{"state": "cancelled", "sent_date": False}])
        self.assertIn("nothing is overdue", reminder.cancel_reason)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "billabex.reminder"), ("res_id", "=", reminder.id)]
            )
        )
        self.assertEqual(self.env["mail.message"].search_count([]), messages + 1)  # the note

    def test_payment_before_sending_updates_the_reminder(self):
        invoice = self._invoice(600, "2025-05-01", due="2025-05-31")
        reminder = self._prepare()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 250.0, "payment_date": "2025-06-29"})._create_payments()
        reminder.action_send()
        self.assertRecordValues(reminder, [{"state": "sent", "amount_claimed": 350.0}])
        self.assertRecordValues(
            self._lines(reminder, "overdue"),
            [
                {"amount_original": 600.0, "amount_paid": 250.0, "amount_remaining": 350.0},
            ],
        )

    def test_tolerance(self):
        self.env.company.billabex_auto_allocate = False
        self._invoice(100, "2025-05-01", due="2025-05-31")
        self._credit_note(99.5, "2025-06-01")
        self.assertEqual(self.env.company.billabex_reminder_tolerance, 1.0)
        self.assertFalse(self._prepare())
        self.env.company.billabex_reminder_tolerance = 0.1
        self.assertEqual(self._prepare().amount_claimed, 0.5)

    def test_promise_to_pay_pauses_reminders_until_the_day_after(self):
        invoice = self._invoice(500, "2025-05-01", due="2025-06-10")
        invoice.billabex_promise_date = "2025-07-07"  # D+7
        self.assertFalse(self._prepare())
        self.assertFalse(self._prepare("2025-07-07"))
        with freeze_time("2025-07-08"):
            reminder = self._prepare("2025-07-08")
        self.assertRecordValues(reminder, [{"amount_claimed": 500.0, "days_late": 28}])

    def test_child_contacts_get_one_reminder_for_their_company(self):
        other_contact = self.env["res.partner"].create(
            {"name": "Shop", "parent_id": self.customer.id}
        )
        inv1 = self._invoice(100, "2025-05-01", due="2025-05-31", partner=self.contact)
        inv2 = self._invoice(200, "2025-05-02", due="2025-05-31", partner=other_contact)
        reminders = self.Reminder.prepare_reminders(D).filtered(
            lambda r: r.partner_id.commercial_partner_id == self.customer
        )
        self.assertRecordValues(
            reminders, [{"partner_id": self.customer.id, "amount_claimed": 300.0}]
        )
        self.assertEqual(self._lines(reminders, "overdue").move_id, inv1 + inv2)
        # Sent to the invoice address of the company.
        self.contact.email = "invoices@customer.example"
        self.assertEqual(reminders.recipient_id, self.contact)

    def test_installments_only_overdue_ones_are_claimed(self):
        invoice = self._invoice(
            1000, "2025-06-05", partner=self.partner_b, invoice_payment_term_id=self.pay_terms_b.id
        )
        # 30% due on the invoice date, 70% at the end of next month.
        reminder = self.Reminder.prepare_reminders(D).filtered(
            lambda r: r.partner_id == self.partner_b
        )
        self.assertRecordValues(reminder, [{"amount_claimed": 300.0, "days_late": 25}])
        self.assertRecordValues(
            self._lines(reminder, "not_due"),
            [
                {
                    "move_id": invoice.id,
                    "amount_remaining": 700.0,
                    "due_date": self._date("2025-07-31"),
                },
            ],
        )

    def test_send_email_and_chatter(self):
        invoice = self._invoice(1000, "2025-05-01", due="2025-05-31")
        credit_note = self._credit_note(300, "2025-06-01")
        self.env.company.billabex_auto_allocate = False
        extra_credit = self._credit_note(50, "2025-06-02")
        reminder = self._prepare()
        self.assertEqual(reminder.amount_claimed, 650.0)
        reminder.action_send()
        self.assertRecordValues(reminder, [{"state": "sent", "sent_date": self._date(D)}])
        message = reminder.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        self.assertIn(self.customer, message.partner_ids)
        body = html.unescape(str(message.body))
        for text in (
            self._fmt(1000),
            self._fmt(-300),
            credit_note.name,
            self._fmt(700),
            extra_credit.name,
            self._fmt(-50),
            self._fmt(650),
            invoice.name,
        ):
            self.assertIn(text, body)
        self.assertTrue(self.env["mail.mail"].search([("mail_message_id", "=", message.id)]))
        # Logged on the customer and on the invoice reminded.
        self.assertIn(reminder.name, self.customer.message_ids[0].body)
        self.assertIn(reminder.name, invoice.message_ids[0].body)
        # The same level is not sent twice for the same lateness.
        self.assertFalse(self._prepare())
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.billabex_last_reminder_id, reminder)

    def test_formal_notice_waits_for_a_manager(self):
        self._invoice(900, "2025-04-01", due="2025-05-01")  # D-60: formal notice
        reminder = self._prepare()
        self.assertEqual(reminder.level_id, self.formal)
        billing = new_test_user(
            self.env, login="billing_dun", groups="account.group_account_invoice"
        )
        reminder.with_user(billing).action_send()
        self.assertEqual(reminder.state, "to_approve")
        with self.assertRaises(AccessError):
            reminder.with_user(billing).action_approve()
        # Preparing again keeps it waiting, not duplicated.
        self.assertEqual(self._prepare(), reminder)
        self.assertEqual(reminder.state, "to_approve")
        reminder.action_approve()  # the test user is an accounting manager
        self.assertEqual(reminder.state, "sent")

    def test_no_reminder_flag_and_missing_email(self):
        self._invoice(100, "2025-05-01", due="2025-05-31")
        self.customer.billabex_no_reminder = True
        self.assertFalse(self._prepare())
        self.customer.billabex_no_reminder = False
        self.customer.email = False
        reminder = self._prepare()
        with self.assertRaisesRegex(UserError, "No email address"):
            reminder.action_send()
        self.assertEqual(reminder.state, "draft")

    def test_plain_invoicing_user_prepares_and_sends(self):
        billing = new_test_user(
            self.env, login="billing_dun2", groups="account.group_account_invoice"
        )
        self._invoice(100, "2025-05-01", due="2025-06-20")
        reminders = self.Reminder.with_user(billing).prepare_reminders(D)
        reminder = reminders.filtered(lambda r: r.partner_id == self.customer)
        self.assertEqual(reminder.amount_claimed, 100.0)
        reminder.with_user(billing).action_send()
        self.assertEqual(reminder.state, "sent")
        readonly = new_test_user(
            self.env, login="auditor_dun", groups="base.group_user,account.group_account_readonly"
        )
        self.assertEqual(reminder.with_user(readonly).amount_claimed, 100.0)
        with self.assertRaises(AccessError):
            self.Reminder.with_user(readonly).prepare_reminders(D)

    def test_outstanding_analysis(self):
        self.env.company.billabex_auto_allocate = False
        self._invoice(100, "2025-01-01", due="2025-03-01")  # 121 days
        self._invoice(200, "2025-03-01", due="2025-04-15")  # 76 days
        self._invoice(300, "2025-05-01", due="2025-05-20")  # 41 days
        self._invoice(400, "2025-06-01", due="2025-06-20")  # 10 days
        disputed = self._invoice(50, "2025-06-01", due="2025-06-21")
        disputed.billabex_disputed = True
        self._invoice(1000, "2025-06-25", due="2025-07-25")  # not due
        self._credit_note(150, "2025-06-01")  # covers the 100 and 50 of the 200
        self.customer.invalidate_recordset()
        self.assertRecordValues(
            self.customer,
            [
                {
                    "billabex_overdue_90_plus": 0.0,
                    "billabex_overdue_61_90": 150.0,
                    "billabex_overdue_31_60": 300.0,
                    "billabex_overdue_0_30": 450.0,
                    "billabex_claimable_amount": 850.0,  # 1000 overdue undisputed - 150
                    "billabex_unapplied_credit": 150.0,
                }
            ],
        )

    def test_prepare_button_of_the_list(self):
        self._invoice(100, "2025-05-01", due="2025-05-31")
        # As the list's header button calls it: with an empty list of ids.
        action = call_kw(self.Reminder, "action_prepare_reminders", [[]], {})
        reminders = self.Reminder.search(action["domain"])
        self.assertEqual(reminders.partner_id, self.customer)

    def test_cron_prepares_for_every_company(self):
        self._invoice(100, "2025-05-01", due="2025-05-31")
        self.env.ref("billabex_credits.ir_cron_prepare_reminders").method_direct_trigger()
        reminder = self.Reminder.search([("partner_id", "=", self.customer.id)])
        self.assertRecordValues(reminder, [{"amount_claimed": 100.0, "state": "draft"}])

    def test_demo_like_email_renders_for_each_level(self):
        invoice = self._invoice(1000, "2025-05-01", due="2025-05-31")
        self._credit_note(300, "2025-06-01")
        reminder = self._prepare()
        for level in self.levels:
            rendered = level.mail_template_id._render_field("body_html", reminder.ids)[reminder.id]
            self.assertIn(invoice.name, rendered)
            self.assertIn(self._fmt(700), html.unescape(rendered))
        self.assertEqual(
            self.env["billabex.reminder.line"].search_count([("reminder_id", "=", reminder.id)]), 1
        )
