from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def get(mapping, key):
    return mapping.get(key, "")


@register.filter
def filter_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


@register.simple_tag
def sort_query(query: str, column: str, current: str) -> str:
    """The list's query string sorted by `column`, flipping the direction when it is already sorted by it."""
    params = QueryDict(query, mutable=True)
    params.pop("export", None)
    descending_first = column not in ("rank", "mentions_rank", "theme", "status")
    if current.lstrip("-") == column:
        params["o"] = column if current.startswith("-") else f"-{column}"
    else:
        params["o"] = f"-{column}" if descending_first else column
    return params.urlencode()


@register.simple_tag
def sort_link(query: str, column: str, current: str, label: str, title: str = "") -> str:
    """A header's words as a link that sorts the list by `column`, marked with the direction when it is sorted by it;
    plain words when column is ""."""
    if not column:
        return format_html("{}", label)
    arrow = {column: " ▲", f"-{column}": " ▼"}.get(current, "")
    return format_html('<a href="?{}" title="{}"{}>{}{}</a>', sort_query(query, column, current), title,
                       mark_safe(' aria-current="true"') if arrow else "", label, arrow)
