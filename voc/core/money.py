"""The one way voc writes an amount of money, on every page, in the digest and on the command line.

Whole units with the currency's symbol and thousands separators ("$4,994,270"); in running text, where a reader
wants the size rather than the digits, the same symbol with one decimal of millions or whole thousands ("$5.0M",
"$950k"). Amounts in a currency without a symbol here keep its ISO code in front ("CHF 1,200"), never behind.
"""

from decimal import Decimal

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
UNKNOWN = "unknown"


def money(amount: Decimal | float | int | None, currency: str = "USD", *, short: bool = False) -> str:
    if amount is None:
        return UNKNOWN
    amount = float(amount)
    sign = "−" if amount < 0 else ""
    amount = abs(amount)
    if short and amount >= 999_950:
        digits = f"{amount / 1_000_000:,.1f}M"
    elif short and amount >= 10_000:
        digits = f"{amount / 1_000:,.0f}k"
    else:
        digits = f"{amount:,.0f}"
    symbol = SYMBOLS.get((currency or "USD").upper())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{currency.upper()} {digits}"
