"""Filters every voc page shares: `{% load voc %}`."""

from django import template

from voc.core.money import money as format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "USD") -> str:
    """{{ account.arr|money:account.arr_currency }} → $4,994,270 (voc.core.money)."""
    return format_money(amount, currency)


@register.filter
def money_short(amount, currency: str = "USD") -> str:
    """{{ total|money_short }} → $5.0M, for running text."""
    return format_money(amount, currency, short=True)
