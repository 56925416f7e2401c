from django import template

from voc.digests.selectors import money as money_short

register = template.Library()


@register.filter
def money(amount) -> str:
    return money_short(amount or 0)


@register.filter
def signed(number: float) -> str:
    """+2.3, −1.0 or ±0.0: a score change with its sign."""
    if abs(number) < 0.05:
        return "±0.0"
    return f"+{number:.1f}" if number > 0 else f"−{abs(number):.1f}"


@register.filter
def movement(line) -> str:
    """How a theme's place changed since a week ago, in words."""
    if line.places is None:
        return f"entered at #{line.rank}"
    if line.places > 0:
        return f"rose {line.places} place{'s' if line.places != 1 else ''} (#{line.rank_before} → #{line.rank})"
    if line.places < 0:
        places = -line.places
        return f"fell {places} place{'s' if places != 1 else ''} (#{line.rank_before} → #{line.rank})"
    return f"held #{line.rank}"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, "")
