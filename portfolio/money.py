"""Money as people read it: the one formatter for pages, PDFs, e-mails, services' messages and charts.

    money(Decimal("1234.5"))        £1,234.50
    money(Decimal("-42"))           -£42.00      (the sign before the pound sign, as GOV.UK and babel write it)
    money(Decimal("0.125"))         £0.13        (to the penny, half up, as the services round money)
    money(Decimal("250000"), drop_zero_pence=True)   £250,000  (whole pounds without .00; pence kept otherwise)
    money_compact(Decimal("2500000"))                £2.5m     (a chart's axis)

Amounts are Decimal (an int is whole pounds). Text such as "1234.50" (a form's or a JSON answer's) is read
as the decimal it spells; so is a float, by its shortest spelling (2.675 rounds to £2.68 as written,
not down as its binary value would).
"""

from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")


def _decimal(value: Decimal | int | str | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(value: Decimal | int | str | None, *, drop_zero_pence: bool = False) -> str:
    """'£1,234.50'; '' for None. With `drop_zero_pence`, '£250,000' for a whole number of pounds."""
    if value is None:
        return ""
    amount = _decimal(value).quantize(PENNY, ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""  # no "-£0.00": a rounded zero has no sign
    text = f"{abs(amount):,.2f}"
    if drop_zero_pence and text.endswith(".00"):
        text = text[:-3]
    return f"{sign}£{text}"


def money_compact(value: Decimal | int) -> str:
    """A short amount for a chart's axis: '£5m', '£2.5m', '£500k', '£750'."""
    amount = _decimal(value)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    if amount >= 1_000_000:
        millions = amount / 1_000_000
        return f"{sign}£{millions:,.0f}m" if amount % 1_000_000 == 0 else f"{sign}£{millions:,.1f}m"
    if amount >= 1_000:
        return f"{sign}£{amount / 1_000:,.0f}k"
    return f"{sign}£{amount:,.0f}"
