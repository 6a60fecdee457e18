from odoo import Command
from odoo.exceptions import AccessError, RedirectWarning, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from . import pdf_corpus as corpus
from .common import BillabexCreditsCommon

EXPECTED_ERRORS = {
    "case_10_scan": "scan without text",
    "case_11_password": "protected by a password",
    "empty": "is empty",
    "png_renamed": "is not a PDF",
    "zip_renamed": "is not a PDF",
    "html_renamed": "is not a PDF",
    "truncated": "is damaged",
    "invoice": "an invoice, not a credit note",
    "facturx_invoice_380": "an invoice, not a credit note",
}


@freeze_time("2025-09-01")
@tagged("post_install", "-at_install")
class TestPdfImport(BillabexCreditsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        company.write({"vat": corpus.OWN_VAT, "company_registry": corpus.OWN_SIREN})
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        cls.chf = cls.setup_other_currency("CHF", rates=[("2016-01-01", 1.0)])
        Tax = cls.env["account.tax"]
        cls.taxes = {}
        for rate in (20.0, 5.5):
            cls.taxes[rate] = Tax.create(
                {
                    "name": f"TVA {rate} %",
                    "amount": rate,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "company_id": company.id,
                }
            )
        cls.partners = {}
        for code, (name, siren, vat, email) in corpus.CUSTOMERS.items():
            cls.partners[code] = cls.env["res.partner"].create(
                {
                    "name": name,
                    "is_company": True,
                    "ref": code,
                    "vat": vat,
                    "company_registry": corpus.SIRETS.get(code, siren),
                    "email": email,
                }
            )
        cls.billing = new_test_user(
            cls.env,
            login="billing_pdf",
            groups="account.group_account_invoice",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        cls.Import = cls.env["billabex.credit.note.import"].with_user(cls.billing)

    def _referenced_invoice(self, code, ref, amount=2000.0, date="2025-02-28", currency=None):
        return self._invoice(
            amount, date, partner=self.partners[code], ref=ref, currency=currency or self.eur
        )

    def _create(self, name, **kwargs):
        content = corpus.CASES[name][0]() if name in corpus.CASES else corpus.ROBUSTNESS[name][0]()
        return self.Import.create_from_pdf(f"{name}.pdf", content, **kwargs)

    def test_every_corpus_case_gives_the_expected_draft(self):
        invoices = {}
        for _gen, case in corpus.CASES.values():
            for ref in case.get("invoice_refs", []) if "customer" in case else []:
                key = (case["customer"]["code"], ref)
                if key not in invoices:
                    currency = self.chf if case.get("currency") == "CHF" else None
                    invoices[key] = self._referenced_invoice(key[0], ref, currency=currency)
        for name, (_gen, case) in corpus.CASES.items():
            if "error" in case or "customer" not in case:
                continue
            with self.subTest(case=name):
                move = self._create(name, confirm_cancelled=True)
                currency = self.chf if case["currency"] == "CHF" else self.eur
                self.assertRecordValues(
                    move,
                    [
                        {
                            "move_type": "out_refund",
                            "state": "draft",
                            "partner_id": self.partners[case["customer"]["code"]].id,
                            "ref": case["number"],
                            "invoice_date": self._date(case["date"]),
                            "currency_id": currency.id,
                            "amount_total": float(case["amount_total"]),
                            "amount_untaxed": float(case["amount_untaxed"]),
                            "billabex_pdf_status": case["status"],
                            "billabex_credit_state": "draft",
                        }
                    ],
                )
                code = case["customer"]["code"]
                expected_refs = [invoices[(code, ref)] for ref in case["invoice_refs"]]
                self.assertEqual(
                    move.billabex_referenced_invoice_ids,
                    self.env["account.move"].union(*expected_refs),
                )
                self.assertEqual(move.message_main_attachment_id.mimetype, "application/pdf")
                self.assertTrue(move.billabex_pdf_review)

    def test_bad_files_give_a_clear_error_and_create_nothing(self):
        count = self.env["account.move"].search_count([])
        for name, text in EXPECTED_ERRORS.items():
            with self.subTest(file=name), self.assertRaisesRegex(UserError, text):
                self._create(name)
        self.assertEqual(self.env["account.move"].search_count([]), count)

    def test_limits_of_the_settings(self):
        self.env.company.billabex_pdf_max_pages = 2
        with self.assertRaisesRegex(UserError, "more than 2 pages"):
            self._create("case_05_three_pages")
        self.env.company.billabex_pdf_max_size_mb = 0
        with self.assertRaisesRegex(UserError, "larger than 0 MB"):
            self._create("case_01_classic")

    def test_save_as_draft_returns_to_the_list(self):
        move = self._create("case_01_classic")
        action = move.with_user(self.billing).action_billabex_save_draft()
        self.assertEqual(action["res_model"], "account.move")
        self.assertEqual(move.state, "draft")

    def test_duplicates_are_refused_with_a_link(self):
        content = corpus.case_1()
        move = self.Import.create_from_pdf("a.pdf", content)
        with self.assertRaises(RedirectWarning) as caught:
            self.Import.create_from_pdf("again.pdf", content)
        self.assertEqual(caught.exception.args[1]["res_id"], move.id)
        # Another file (re-encrypted) with the same customer and number.
        with self.assertRaises(RedirectWarning) as caught:
            self.Import.create_from_pdf("other.pdf", corpus.case_11b())
        self.assertIn("AV-2025-0007", caught.exception.args[0])

    def test_validation_allocates_the_referenced_invoice_first(self):
        older = self._invoice(500, "2025-01-10", partner=self.partners["C0042"], currency=self.eur)
        referenced = self._referenced_invoice("C0042", "F-2025-0042", amount=1500.0)
        move = self._create("case_01_classic")
        move.with_user(self.billing).action_post()
        self.assertMovesValues(
            older + referenced + move,
            [
                {"amount_residual": 500.0, "payment_state": "not_paid"},
                {"amount_residual": 265.44, "payment_state": "partial"},
                {"amount_residual": 0.0, "billabex_credit_state": "applied"},
            ],
        )
        # Then oldest first with what is left.
        bigger = self._create("case_06_cancels_invoices")  # F-2025-0042 again: 108.00
        bigger.action_post()
        self.assertEqual((older + referenced).mapped("amount_residual"), [500.0, 157.44])

    def test_refunded_and_settled_are_not_allocated(self):
        invoice = self._invoice(
            5000, "2025-01-10", partner=self.partners["C0107"], currency=self.eur
        )
        refunded = self._create("case_02_columns_refunded")
        self.assertTrue(refunded.billabex_allocation_hold)
        self.assertIn("Already refunded", refunded.billabex_pdf_notes)
        refunded.action_post()
        self.assertEqual(invoice.amount_residual, 5000.0)
        self.assertEqual(refunded.billabex_credit_state, "available")
        # A status corrected in the review form counts at validation.
        other = self._create("case_07_facturx")
        other.billabex_pdf_status = "settled"
        other.action_post()
        self.assertEqual(invoice.amount_residual, 5000.0)

    def test_cancelled_needs_confirmation_and_other_customers_are_shown(self):
        with self.assertRaisesRegex(UserError, "marked as cancelled"):
            self._create("case_12_two_customers_cancelled")
        move = self._create("case_12_two_customers_cancelled", confirm_cancelled=True)
        self.assertEqual(move.partner_id, self.partners["C0201"])
        self.assertIn("Fromagerie Alpage", move.billabex_pdf_notes)

    def test_one_line_per_vat_rate_with_the_company_taxes(self):
        move = self._create("case_04_two_rates_traps")
        self.assertRecordValues(
            move.invoice_line_ids.sorted("price_unit"),
            [
                {"price_unit": 200.0, "tax_ids": self.taxes[5.5].ids},
                {"price_unit": 400.0, "tax_ids": self.taxes[20.0].ids},
            ],
        )
        self.assertRecordValues(
            move, [{"amount_untaxed": 600.0, "amount_tax": 91.0, "amount_total": 691.0}]
        )

    def test_unknown_rate_gives_one_untaxed_line_flagged(self):
        content = corpus.render(
            [
                corpus._header(
                    "AVOIR N° AV-2025-0999",
                    [
                        (40, 715, "Date : 01/08/2025", "l"),
                        (320, 715, "Client : Librairie Papier SAS - SIREN 271 828 188", "l"),
                        *corpus._totals(
                            600,
                            [
                                ("Total HT", "100,00 €"),
                                ("TVA 7 %", "7,00 €"),
                                ("Total TTC", "107,00 €"),
                            ],
                        ),
                    ],
                )
            ]
        )
        move = self.Import.create_from_pdf("seven.pdf", content)
        self.assertRecordValues(move.invoice_line_ids, [{"price_unit": 107.0, "tax_ids": []}])
        self.assertIn("No sale tax", move.billabex_pdf_notes)

    def test_customer_forced_from_the_customer_tab(self):
        partner = self.partners["C0512"]
        move = self._create("case_05_three_pages", partner=partner)
        self.assertEqual(move.partner_id, partner)

    def test_unknown_customer_is_left_to_choose(self):
        self.partners["C0042"].write(
            {"ref": False, "company_registry": False, "vat": False, "name": "Other"}
        )
        move = self._create("case_01_classic")
        self.assertFalse(move.partner_id)
        self.assertIn("No customer matches", move.billabex_pdf_notes)

    def test_upload_wizard_several_files_as_invoicing_user(self):
        Attachment = self.env["ir.attachment"].with_user(self.billing)
        files = [("c1.pdf", corpus.case_1()), ("c5.pdf", corpus.case_5()), ("bad.pdf", b"")]
        attachments = Attachment.create(
            [
                {"name": name, "raw": content or b" ", "res_model": "billabex.credit.note.upload"}
                for name, content in files
            ]
        )
        attachments[2].raw = b""
        wizard = (
            self.env["billabex.credit.note.upload"]
            .with_user(self.billing)
            .create({"attachment_ids": [Command.set(attachments.ids)]})
        )
        action = wizard.action_upload()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("bad.pdf", action["params"]["message"])
        created = self.env["account.move"].search(action["params"]["next"]["domain"])
        self.assertEqual(sorted(created.mapped("ref")), ["AV-2025-0007", "AV-2025-0113"])
        self.assertFalse(attachments.exists())
        # One file: straight to its review form.
        single = Attachment.create(
            {"name": "c9.pdf", "raw": corpus.case_9(), "res_model": "billabex.credit.note.upload"}
        )
        wizard = (
            self.env["billabex.credit.note.upload"]
            .with_user(self.billing)
            .create({"attachment_ids": [Command.set(single.ids)]})
        )
        action = wizard.action_upload()
        self.assertEqual(self.env["account.move"].browse(action["res_id"]).ref, "AV-2025-0150")

    def test_public_method_and_access(self):
        move = (
            self.env["account.move"]
            .with_user(self.billing)
            .billabex_create_credit_note_from_pdf("c3.pdf", corpus.case_3())
        )
        self.assertEqual(move.ref, "2025-A-0012")
        readonly = new_test_user(
            self.env, login="auditor_pdf", groups="base.group_user,account.group_account_readonly"
        )
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(readonly).billabex_create_credit_note_from_pdf(
                "c3.pdf", corpus.case_3()
            )


@tagged("post_install", "-at_install")
class TestPdfImportTimeLimit(BillabexCreditsCommon):
    """Not under freeze_time: a frozen clock never lets the time limit expire."""

    def test_reading_time_limit(self):
        self.env.company.billabex_pdf_timeout = 0
        with self.assertRaisesRegex(UserError, "more than 0 seconds"):
            self.env["account.move"].billabex_create_credit_note_from_pdf("c1.pdf", corpus.case_1())
