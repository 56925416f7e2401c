from django import template
from django.http import QueryDict

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
