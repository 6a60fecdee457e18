"""Pure-Python services of the addon: no Odoo import, testable anywhere."""
