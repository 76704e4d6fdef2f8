"""Plain test functions with bare asserts and parametrize."""

import logging

from inventory import format_price, price_with_tax

from dbtest import expect, parametrize, test

log = logging.getLogger("pricing")


@parametrize("cents, rate, expected", [(1000, 0.2, 1200), (999, 0.055, 1054), (0, 0.2, 0)])
def test_price_with_tax(cents, rate, expected):
    assert price_with_tax(cents, rate) == expected


@parametrize("currency", ["EUR", "USD"])
@parametrize("cents", [5, 1999])
def test_format_price(cents, currency):
    text = format_price(cents, currency)
    assert text.endswith(currency)
    expect(text).to_match(r"^\d+\.\d\d [A-Z]{3}$")


def test_close_to():
    expect(0.1 + 0.2).to_be_close_to(0.3)
    expect(price_with_tax(100, 0.19)).to_be_between(118, 120)


@test(tags=["unit"])
async def rounding_is_stable():
    log.warning("checking rounding")
    values = {price_with_tax(c, 0.07) for c in range(100)}
    assert len(values) == 100
