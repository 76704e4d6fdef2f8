"""An existing unittest suite runs unchanged."""

import unittest

from inventory import format_price


class FormatPriceTest(unittest.TestCase):
    def setUp(self):
        self.currency = "EUR"

    def test_whole_euros(self):
        self.assertEqual(format_price(300, self.currency), "3.00 EUR")

    def test_cents(self):
        for cents, text in [(1, "0.01 EUR"), (99, "0.99 EUR"), (101, "1.01 EUR")]:
            with self.subTest(cents=cents):
                self.assertEqual(format_price(cents), text)

    @unittest.skip("multi-currency formatting lands next release")
    def test_yen(self):
        self.assertEqual(format_price(100, "JPY"), "100 JPY")

    @unittest.expectedFailure
    def test_negative(self):
        self.assertEqual(format_price(-150), "-1.50 EUR")
