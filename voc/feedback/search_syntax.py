"""What people type into a search box, read once in Python and handed to each database in a form it cannot misread.

The syntax is the web-search one people know: words (each must appear), "quoted phrases", -word or -"a phrase" to
leave items out, and OR between alternatives. AND binds tighter than OR, as PostgreSQL's websearch_to_tsquery reads
it: `refund OR "money back" late` is refund, or "money back" and late.

The principle: the user's text never reaches a query language as typed. It is read here into terms, and each term
goes to the database as a quoted string, whose inside either engine reads only as words to look for: FTS5 tokenizes
a "…" string into a phrase, websearch_to_tsquery does the same with a "…" phrase. So brackets, column filters
(`title:x`), NEAR, `&|!<->`, backslashes or SQL are words or nothing, never a syntax error or an operator.

Step by step:
1. Characters no database should see are dropped (NUL, which PostgreSQL refuses in text, lone surrogates, other
   control characters), and the query is cut to MAX_QUERY_CHARS, with a note.
2. Tokens: "…" phrases (a quote left open runs to the end), words between white space, a leading - excludes the
   word or phrase it is glued to, and the word OR (capitals, as on the web; "or" is a word) separates alternatives.
3. A term with no letter or digit (punctuation, emoji, a lone -) is dropped: neither engine indexes those, and a
   query made only of them is "nothing to search for", said as such.
4. Common English words typed without quotes ("how", "do", "my", "the") are skipped, as web search skips them: a
   question typed as a question ("how do I get a refund for my card") would otherwise need every one of its words,
   and match nothing. Quoted, they count ("log in", "top up" unquoted keep their particles anyway: up, in, out, off,
   not and no are not skipped, because customers' phrases turn on them). The index keeps every word, so a quoted
   phrase is matched exactly; an alternative made only of such words keeps them.
5. An alternative needs something to look for: exclusions alone would match nearly every item, so an alternative
   of exclusions only is dropped with a note, and a query of nothing else gets a message instead of results.
6. At most MAX_TERMS terms are kept (the first ones), with a note: a pasted paragraph is still a search, not a
   thousand-way intersection.
"""

import re
import unicodedata
from dataclasses import dataclass

# Enough for any query a person types (a long one is a sentence, ~100 characters); a pasted page is cut.
MAX_QUERY_CHARS = 500
# What web search engines cap a query at; more terms than this only slow the index intersection down.
MAX_TERMS = 32
OR = "OR"
# Function words that carry no topic. Not the particles and negations (up, in, out, off, on, not, no): "top up",
# "log in", "not working" are what customers write about.
_COMMON_WORDS = """
    a an the and or but if so than then too very just also of to at for from by with about as into onto
    is are was were be been being am do does did doing have has had having i me my mine we us our you your it its
    this that these those there here what which who whom whose how why when where can could will would should shall
    may might must please any some all each every much many more most such own same other again still yet"""
COMMON_WORDS = frozenset(_COMMON_WORDS.split())

_TOKEN = re.compile(r'(?P<minus>-*)"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')


@dataclass(frozen=True)
class Alternative:
    """Items that contain every included term and none of the excluded ones; a term is a word or a phrase."""

    included: tuple[str, ...]
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedQuery:
    """A query as read: alternatives (any may match), what was changed on the way, or why nothing can be searched."""

    alternatives: tuple[Alternative, ...]
    notes: tuple[str, ...] = ()
    problem: str = ""

    @property
    def searchable(self) -> bool:
        return bool(self.alternatives)

    @property
    def websearch(self) -> str:
        """For websearch_to_tsquery: every term a quoted phrase, so only -, OR and quotes act as syntax."""
        return " OR ".join(
            " ".join([*(f'"{term}"' for term in alternative.included),
                      *(f'-"{term}"' for term in alternative.excluded)])
            for alternative in self.alternatives
        )

    @property
    def fts5_match(self) -> str:
        """For SQLite's MATCH: every term an FTS5 string, combined with AND, NOT and OR in brackets."""
        parts = []
        for alternative in self.alternatives:
            expression = " AND ".join(_fts5_string(term) for term in alternative.included)
            if alternative.excluded:
                excluded = " OR ".join(_fts5_string(term) for term in alternative.excluded)
                expression = f"({expression}) NOT ({excluded})"
            parts.append(f"({expression})")
        return " OR ".join(parts)

    @property
    def text(self) -> str:
        """The query as searched, for people: the same syntax they type, with only the terms that counted."""
        return " OR ".join(
            " ".join([*(_shown(term) for term in alternative.included),
                      *(f"-{_shown(term)}" for term in alternative.excluded)])
            for alternative in self.alternatives
        )


def search_query_parse(raw: str) -> ParsedQuery:
    """Read a web-search query into alternatives of included and excluded terms, or say why it searches nothing."""
    notes = []
    text = _clean(raw)
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"Only the first {MAX_QUERY_CHARS} characters of the query were searched.")

    alternatives: list[Alternative] = []
    included: list[str] = []
    common: list[str] = []  # included words that count only when nothing else does
    excluded: list[str] = []
    terms = dropped_alternatives = 0
    truncated = False

    def close_alternative() -> None:
        nonlocal dropped_alternatives
        looked_for = included or common
        if looked_for:
            alternatives.append(Alternative(tuple(looked_for), tuple(excluded)))
        elif excluded:
            dropped_alternatives += 1
        for terms_list in (included, common, excluded):
            terms_list.clear()

    for token in _TOKEN.finditer(text):
        if token["word"] == OR:
            close_alternative()
            continue
        if token["phrase"] is not None:
            negated, term = bool(token["minus"]), token["phrase"]
        else:
            word = token["word"]
            negated, term = word.startswith("-"), word.lstrip("-")
        term = " ".join(term.split())
        if not any(character.isalnum() for character in term):
            continue
        if terms == MAX_TERMS:
            truncated = True
            break
        terms += 1
        if negated:
            excluded.append(term)
        elif token["phrase"] is None and term.casefold() in COMMON_WORDS:
            common.append(term)
        else:
            included.append(term)
    close_alternative()

    if truncated:
        notes.append(f"Only the first {MAX_TERMS} words and phrases were searched.")
    if not alternatives:
        return ParsedQuery((), tuple(notes), _problem(had_exclusions=bool(dropped_alternatives)))
    if dropped_alternatives:
        notes.append("An alternative made only of -exclusions was left out: it would match nearly everything.")
    return ParsedQuery(tuple(alternatives), tuple(notes))


def _clean(raw: str) -> str:
    # Control characters (NUL included) become spaces, so that words on either side stay apart; lone surrogates
    # (which a JSON body or a Python caller can carry, and no database encoding takes) are dropped.
    characters = []
    for character in raw:
        category = unicodedata.category(character)
        if category == "Cs":
            continue
        characters.append(" " if category == "Cc" else character)
    return "".join(characters).strip()


def _problem(*, had_exclusions: bool) -> str:
    if had_exclusions:
        return ("Add a word or phrase to look for: -word only leaves items out of a search, and on its own it would "
                "match nearly everything.")
    return 'Nothing to search for: type words, a "quoted phrase", or -word to leave items out.'


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _shown(term: str) -> str:
    return f'"{term}"' if " " in term else term
