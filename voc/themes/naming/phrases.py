"""How feedback is read into words and phrases: clauses, negation, the words that may start or end a phrase, and the
phrases a theme's customers wrote. Keywords and names both read texts this way, so they agree on polarity."""

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from voc.themes.preprocess import pii_redact

# sklearn's list is built for prose; these words carry meaning in customer feedback ("top up", "bill",
# "change my name", "interest rate"), so they stay in the vocabulary.
_MEANINGFUL_WORDS = frozenset({"top", "bill", "amount", "name", "call", "system", "interest", "detail", "empty"})
# Support-speak and the stumps the tokenizer leaves of contractions ("didn't" -> "didn") say nothing about a theme.
_FILLER_WORDS = frozenset(
    {
        "did",
        "does",
        "didn",
        "doesn",
        "don",
        "isn",
        "wasn",
        "weren",
        "hasn",
        "haven",
        "hadn",
        "aren",
        "won",
        "wouldn",
        "couldn",
        "shouldn",
        "ve",
        "ll",
        "just",
        "like",
        "want",
        "need",
        "help",
        "please",
        "hi",
        "hello",
        "thanks",
        "thank",
    }
)
_PLACEHOLDER = re.compile(r"\[(?:email|phone|card|iban)\]")
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Names: phrases of 2 to PHRASE_MAX_WORDS words that at least PHRASE_MIN_SHARE of a theme's texts (and two) say.
# One text in twenty is "something this theme's customers say", not one customer's wording.
PHRASE_MAX_WORDS = 4
PHRASE_MIN_SHARE = 0.05
# Below this many themes, a word in most texts may be what the feedback is about, not the company's own name.
COMMON_MIN_THEMES = 4
NEGATIONS = frozenset(
    {"not", "no", "never", "cannot", "can't", "cant", "won't", "didn't", "doesn't", "don't", "isn't", "aren't",
     "wasn't", "weren't", "haven't", "hasn't", "hadn't", "couldn't", "wouldn't", "shouldn't", "unable", "without",
     "nothing", "nobody", "none"}
)
# A phrase never ends on a word that is followed by the same next word in more than this share of its uses, nor
# starts on one so preceded: it would cut a fixed expression ("top [up]", "[apple] pay" when always Apple Pay).
COLLOCATION_SHARE = 0.8
# A negation reaches this many words ahead (after skipped words): "not seem to [have] worked", "isn't my card
# working". Further than that it mostly negates something else; with no parser, three is the usual scope.
NEGATION_REACH = 3
# Skipped inside a phrase: they carry no meaning in a ticket tag ("card is not working" -> "card not working").
_SKIPPED = frozenset(
    {"a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "is", "are", "was", "were", "am", "be",
     "been", "being", "has", "have", "had", "do", "does", "did", "i'm", "it's", "i've", "just", "really", "very",
     "please"}
)
# Words that carry meaning in feedback although sklearn's list calls them stop words.
_MEANINGFUL_EDGE_WORDS = _MEANINGFUL_WORDS | {"twice", "again", "still", "back", "up", "down", "off", "out", "over",
                                              "online", "first", "last", "full", "found", "find", "move", "fill"}


# Particles end a phrase ("top up", "log out", "charged twice") but never start one ("up cancelled").
_NEVER_FIRST = frozenset({"up", "down", "off", "out", "over", "back", "again", "twice", "online"})
# They qualify a problem ("still pending", "charged twice") but are none on their own.
_NEVER_ALONE = _NEVER_FIRST | {"still", "first", "last", "full", "found", "find", "move", "fill"}
# When it happened is never the problem: "days ago" names no theme, "transfer days ago" neither.
_TIME_WORDS = frozenset(
    {"ago", "yesterday", "today", "tomorrow", "tonight", "morning", "evening", "night", "hour", "hours", "minute",
     "minutes", "day", "days", "week", "weeks", "weekend", "month", "months", "year", "years", "recently", "lately",
     "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)
_EDGE_WORDS = (
    _TIME_WORDS
    | ENGLISH_STOP_WORDS
    | _FILLER_WORDS
    | {"i'd", "i'll", "you're", "there's", "know", "tell", "get", "got", "make", "way", "use", "using", "trying", "try"}
) - (_MEANINGFUL_EDGE_WORDS | NEGATIONS)


_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+")
# A phrase stays inside one clause: punctuation and the conjunctions that join clauses end it.
_CLAUSE_BREAK = re.compile(
    r"[.!?;:,()\[\]{}\"|\n/]+|\s[-–—]\s|\b(?:but|because|since|so|if|when|whenever|while|although|though|"
    r"than|and then|after|before|until)\b",
    re.IGNORECASE,
)
# "does not work" is read as "doesn't work": skipping "does" would leave "card payment not work".
_DO_NOT = re.compile(r"\b(do|does|did)\s+not\b", re.IGNORECASE)
_HAS_LETTER = re.compile(r"[^\W\d_]")


def clean_text(text: str) -> str:
    # The placeholders are dropped too: "[email]" would otherwise become the keyword "email". Links, @handles and
    # #tags name no problem.
    return _PLACEHOLDER.sub(" ", _NOT_WORDS.sub(" ", pii_redact(text or "")))


def stem(word: str) -> str:
    """A crude suffix fold so "card"/"cards" and "arrive"/"arrived" count as the same word when de-duplicating."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def common_words(texts_by_theme: dict[int, list[str]]) -> frozenset[str]:
    """Words in more than half of all the texts, when there are at least COMMON_MIN_THEMES themes: the company's
    own name or product says nothing about any one theme."""
    texts = [text for found in texts_by_theme.values() for text in found]
    if len([found for found in texts_by_theme.values() if found]) < COMMON_MIN_THEMES or not texts:
        return frozenset()
    document_frequency = Counter(word for text in texts for word in {word for word, _ in tokens(text)})
    return frozenset(word for word, seen in document_frequency.items() if seen > len(texts) / 2)


@dataclass(frozen=True)
class Phrase:
    display: str  # as customers most often wrote its words ("PIN", "Apple Pay")
    share: float  # of the texts that say it


def phrase_candidates(
    texts: list[str], *, common: frozenset[str] = frozenset(), shared: bool = True
) -> dict[str, Phrase]:
    """Phrases of 2-4 words that at least a twentieth of the texts (and two) say, by their lower-cased form; with
    shared=False, every phrase any one text says.

    Words are read within a clause; articles, possessives and affirmative auxiliaries ("is", "has", "my") are
    skipped so that "my card is not working" yields "card not working". A phrase neither starts nor ends with a
    stop word, except that it may start with a negation, and it never ends with one. Negations and small words
    that carry meaning ("not", "can't", "no", "failed", "still", "twice") stay. An occurrence right after a
    negation ("isn't my card working") does not count for the un-negated phrase, so a name never says the
    opposite of its texts. @handles, URLs, #tags, numbers, redacted PII and the corpus's common words are never
    part of a phrase, and a phrase never cuts a fixed expression its texts use (COLLOCATION_SHARE).
    """
    support: Counter = Counter()
    surface: dict[str, Counter] = {}
    seen: Counter = Counter()
    followed_by: dict[str, Counter] = {}
    preceded_by: dict[str, Counter] = {}
    for text in texts:
        seen_here = set()
        for clause in clauses(text):
            words = [(word, form) for word, form in clause if word not in _SKIPPED]
            for position, (word, form) in enumerate(words):
                if position:
                    surface.setdefault(word, Counter())[form] += 1
            lowered = [word for word, _ in words]
            seen.update(lowered)
            for before, after in itertools.pairwise(lowered):
                followed_by.setdefault(before, Counter())[after] += 1
                preceded_by.setdefault(after, Counter())[before] += 1
            seen_here.update(" ".join(gram) for gram in grams(lowered, range(2, PHRASE_MAX_WORDS + 1), common))
        support.update(seen_here)

    def cuts_a_collocation(phrase: list[str]) -> bool:
        # "card declined for top" cuts "top up", which customers always write whole; so would "up failed".
        # Only where the phrase could take the neighbour in: "csv" after "to" is no cut, "to" cannot start one.
        first, last = phrase[0], phrase[-1]
        for word, neighbours, could_extend in (
            (last, followed_by, lambda after: _phrase_allowed([after], frozenset()) or after in _NEVER_FIRST),
            (first, preceded_by, lambda before: not _is_edge_word(before) and before not in _NEVER_FIRST),
        ):
            for neighbour, count in neighbours.get(word, Counter()).most_common(1):
                if count >= 3 and count > COLLOCATION_SHARE * seen[word] and could_extend(neighbour):
                    return True
        return False

    needed = max(2, math.ceil(PHRASE_MIN_SHARE * len(texts))) if shared and len(texts) > 1 else 1
    display = {}
    for phrase, count in support.items():
        if count >= needed and not cuts_a_collocation(phrase.split()):
            written = (surface[word].most_common(1)[0][0] if word in surface else word for word in phrase.split())
            display[phrase] = Phrase(display=" ".join(written), share=count / len(texts))
    return display


def grams(words: list[str], sizes: range, common: frozenset[str]) -> Iterator[list[str]]:
    """The word n-grams of one clause that may stand as a keyword or name, counting no negated occurrence."""
    for size in sizes:
        for start in range(len(words) - size + 1):
            gram = words[start : start + size]
            if not _phrase_allowed(gram, common):
                continue
            if gram[0] not in NEGATIONS and NEGATIONS.intersection(words[max(0, start - NEGATION_REACH) : start]):
                continue  # "isn't my card working" says nothing for "card working"
            yield gram


def _is_edge_word(word: str) -> bool:
    # "we're", "what's", "that'll": a contraction says who or what, never the problem (negations aside).
    return word in _EDGE_WORDS or ("'" in word and word not in NEGATIONS)


def clause_words(text: str) -> list[list[str]]:
    return [[word for word, _ in clause if word not in _SKIPPED] for clause in clauses(text)]


def _phrase_allowed(gram: list[str], common: frozenset[str]) -> bool:
    first, last = gram[0], gram[-1]
    if (_is_edge_word(first) and first not in NEGATIONS) or first in _NEVER_FIRST:
        return False
    if _is_edge_word(last) or last in NEGATIONS or (len(gram) == 1 and last in _NEVER_ALONE):
        return False
    return not any(word in common or not _HAS_LETTER.search(word) for word in gram)


def clauses(text: str) -> list[list[tuple[str, str]]]:
    """(lower-cased word, word as written) per clause of the text, with PII placeholders, URLs, handles removed."""
    cleaned = _DO_NOT.sub(lambda match: f"{match.group(1)}n't", clean_text(text))
    return [
        [(form.lower().replace("’", "'"), form.replace("’", "'")) for form in WORD.findall(clause)]
        for clause in _CLAUSE_BREAK.split(cleaned)
    ]


def tokens(text: str) -> list[tuple[str, str]]:
    return [token for clause in clauses(text) for token in clause]
