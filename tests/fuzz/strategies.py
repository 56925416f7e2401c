"""Input as the outside world sends it: text of every kind, JSON values, dates in every odd shape.

Shared by the fuzz properties, so each parser is tried with the same nasty text, the same missing and null
fields and the same odd dates.
"""

import datetime as dt
import json

from hypothesis import strategies as st

# Markup and entities that feedback carries: rich-text bodies, pasted snippets, broken HTML.
HTML_BITS = [
    "<p>", "</p>", "<br>", "<br/>", "<div>", "</div>", "<b>", "</b>", "<blockquote>", "<pre>", "</pre>",
    "<script>alert(1)</script>", "<style>p{}</style>", "<!--", "-->", "<![CDATA[x]]>", "<a href='javascript:x'>",
    "&amp;", "&lt;", "&gt;", "&nbsp;", "&mdash;", "&#0;", "&#x110000;", "&#xD800;", "&bogus;", "<", ">", "&",
]
ODD_BITS = [
    "", " ", "\t", "\n", "\r\n", "\r", "\x00", "\x1b[31m", "\u200b", "\ufeff", "\u202e", "\u2028", "😡", "Ü",
    "a\u0301", "🏳️‍🌈", "\"", "'", ",", ";", "\\", "NaN", "null", "None", "-- ", "> ", "=cmd|' /C calc'!A0",
]


def texts(*, surrogates: bool = True, huge: bool = True) -> st.SearchStrategy[str]:
    """Text from anywhere: unicode, HTML, control characters, empty, and (when huge) past the stored length.

    surrogates: JSON may carry lone surrogates ("\\ud800"); bytes decoded as UTF-8 never do.
    """
    characters = st.characters() if surrogates else st.characters(codec="utf-8")
    piece = st.one_of(
        st.text(characters, max_size=30),
        st.sampled_from(HTML_BITS),
        st.sampled_from(ODD_BITS),
        st.text(st.characters(categories=["Cc"]), max_size=4),
    )
    options = [st.just(""), st.lists(piece, max_size=8).map("".join)]
    if huge:
        # A few characters repeated past VOC_MAX_TEXT_CHARS (20,000): cheap to make, long to parse.
        options.append(
            st.builds(lambda chunk, times: chunk * times, st.text(characters, min_size=1, max_size=3),
                      st.integers(7_000, 12_000))
        )
    return st.one_of(*options)


def json_values(*, nan: bool = False) -> st.SearchStrategy:
    """What a JSON parser hands back. 1e400 parses to infinity; NaN only where the parser accepts it."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**63 - 2, max_value=2**70),
        st.floats(allow_nan=nan),
        texts(huge=False),
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(texts(huge=False), children, max_size=4),
        max_leaves=8,
    )


_a_day = dt.timedelta(hours=23, minutes=59)
_offsets = st.builds(dt.timezone, st.timedeltas(min_value=-_a_day, max_value=_a_day))
moments = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59), timezones=st.none() | _offsets
)


def iso_dates() -> st.SearchStrategy[str]:
    """Dates as APIs and exports write them, from year 1 to 9999, and a few that are not dates at all."""
    return st.one_of(
        moments.map(lambda moment: moment.isoformat()),
        moments.map(lambda moment: moment.isoformat().replace("+00:00", "Z")),
        moments.map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.000%z")),  # Salesforce
        moments.map(lambda moment: moment.date().isoformat()),
        moments.map(lambda moment: moment.strftime("%d/%m/%Y %H:%M")),
        st.sampled_from(["", " ", "0000-00-00", "2026-02-30", "2026-11-19T25:00:00Z", "2026-13-01", "yesterday",
                         "2026-11-19T10:00:00+99:99", "1763800000", "-1", "NaN",
                         # Years 1 and 9999 with an offset: in UTC they fall outside what Python can hold.
                         "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-23:59"]),
        texts(huge=False),
    )


def epoch_seconds() -> st.SearchStrategy:
    """Seconds since 1970 as APIs send them, including milliseconds sent by mistake and the far past and future."""
    return st.one_of(
        st.integers(min_value=-(2**40), max_value=2**40),
        st.integers(min_value=1_700_000_000_000, max_value=1_800_000_000_000),  # milliseconds, not seconds
        st.floats(min_value=-1e20, max_value=1e20),
        st.integers(),
    )


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The value, or null: APIs send null for anything optional."""
    return st.none() | strategy


def api_object(required: dict, optional: dict) -> st.SearchStrategy[dict]:
    """An object shaped like the API's: the fields it always sends, and each optional one present or missing."""
    return st.fixed_dictionaries(required, optional=optional)


def json_bytes(value) -> bytes:
    """The value as a JSON body; a lone surrogate comes out as the invalid UTF-8 a careless encoder writes."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
