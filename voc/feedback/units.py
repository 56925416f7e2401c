"""Feedback units: the problems one item raises, each a span of its text, found before anything is embedded.

A ticket that says "The export times out on big reports. Also the SSO login loops on Safari, and your invoice PDF
shows the wrong VAT." raises three problems; an account that wrote it must count for each. The rule, step by step:

1. The customer's own words: HTML, quoted replies and the signature go (`voc.themes.preprocess`), as for
   embedding.
2. Sentences, by `sentencex` (maintained, offsets included), paragraph by paragraph. Measured on 2,000 composed
   tickets here, against the boundaries between their problems: pysbd recall 0.786 / precision 0.700 at 1.0 ms a
   text, syntok 0.783 / 0.752 at 0.26 ms, blingfire 0.781 / 0.753 at 0.04 ms, sentencex 0.785 / 0.748 at 0.02 ms.
3. Pleasantries go: a sentence made only of greetings, thanks, apologies, sign-offs and names ("Hi team,",
   "Thanks, Maria", "Sorry to bother you", "ok DMed you") is no problem. A greeting or a connective that opens a
   sentence ("Hi team, ...", "Also, ...", "Another thing: ...") is trimmed off the unit.
4. A new unit starts where the customer marks the end of a problem: a connective that announces another one
   ("Also,", "Another thing:", "Separately,", "And ..."), a new paragraph, or a list item. Other sentences belong
   to the unit before them: most feedback raises one problem in several sentences ("My top-up failed. I tried
   twice. Can you check?"), and a sentence is too little to tell an elaboration from a second problem. Measured
   (`bench.themes --multi-label`, label recall / precision): cutting at every sentence that can stand alone
   found more problems on composed tickets (0.816 / 0.794 against 0.776 / 0.818 for this rule) but cut one in
   nine single-problem BANKING77 texts in two and lowered them from 0.759 / 0.759 to 0.714 / 0.692 (this rule:
   0.751 / 0.751). Comparing the vectors of adjacent sentences does not tell the two cases apart
   either: their centred similarity has a median of 0.13 within one problem and 0.00 across two, with most of
   both spreads overlapping. What does tell them apart is the themes: processing cuts such a unit into its
   sentences when each sits nearer to a theme of its own than the whole sits to any (ThemeModel.better_apart),
   which found 0.804 / 0.825 on composed BANKING77 tickets against 0.776 / 0.818 without, and left single texts
   where they were (0.751 / 0.751).
5. A unit that cannot stand alone (fewer than MIN_CONTENT_WORDS words that are neither function words nor words
   of asking for help: "Please help!", "Could you please advise?") joins the next one. An item with nothing but
   pleasantries has no unit.

Each unit keeps its offsets into the stored text when its words appear there verbatim (plain text, the usual
case), so a quote can be shown in its context; an HTML body's units carry their visible words only.
"""

import re
from dataclasses import dataclass

import sentencex
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from voc.themes.preprocess import html_to_text, strip_replies_and_signature

# Below this many content words, a unit cannot stand alone: "Please help!" (0), "Again?" (1). A problem needs a
# thing and what is wrong with it, so two do: "Card declined." "My transfer is pending."
MIN_CONTENT_WORDS = 2
# Bumped when the rule changes, so that the pipeline cuts every item again (FeedbackItem.units_version).
UNITS_VERSION = 4
# A long document (a call transcript) is cut into at most this many units; the rest joins the last one.
MAX_UNITS = 40
# Units are embedded by a model that reads 256 word pieces; the words past that would be lost anyway.
MAX_UNIT_CHARS = 2000



def _vocabulary(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# A paragraph: text between blank lines, or a list item ("- ", "* ", "• ", "1. ", "2) ") on a line of its own.
_PARAGRAPH = re.compile(r"(?:(?!\n[ \t]*\n|\n[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t])[\s\S])+")
_LIST_MARKER = re.compile(r"^[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]")
_HANDLE_OR_LINK = re.compile(r"(?:@\w+|#\w+|https?://\S+|www\.\S+)")
_GREETING = (
    r"(?:hi|hello|hey|hiya|howdy|dear|greetings|good (?:morning|afternoon|evening|day))"
    r"(?:[ ,]+(?:there|all|team|folks|guys|everyone|everybody|support|support team|[A-Z][\w'’-]*))*"
)
_OPENING_GREETING = re.compile(rf"^\s*(?i:{_GREETING[:-1]})[ \t]*[,!.:;—–-]+\s*|^\s*(?i:{_GREETING})\s*\n\s*")
# Connectives that announce another problem; trimmed off the unit they open.
_NEW_PROBLEM = re.compile(
    r"^\s*(?i:also|plus|separately|additionally|in addition|besides|moreover|furthermore|on top of that"
    r"|(?:and )?(?:one|another) (?:more )?(?:thing|issue|problem|point)|(?:and )?also|oh and|p\.?s\.?"
    r"|second(?:ly)?|third(?:ly)?|finally|lastly|and)\b[ \t]*[,:.;!—–-]*\s*"
)
# What greetings, thanks, apologies and sign-offs are made of. A sentence of these words only (and of names, or
# an @handle) says nothing about the product.
_PLEASANTRY_WORDS = _vocabulary(
    """
    hi hello hey hiya howdy dear greetings good morning afternoon evening day there all team folks guys everyone
    everybody support thanks thank thx ty tysm you so much very a lot again in advance cheers regards kind best
    warm warmest sincerely yours truly many sorry to bother bothering for the trouble apologies apologize any
    help is appreciated appreciate your it ok okay k kk cool great awesome nice perfect got dm dmed dm'd sent
    messaged will do please advise have an weekend lol yes yeah yep no worries np welcome just wanted say hope
    this finds well i we us our me my asap soon bye goodbye take care talk later touch back
    """
)
# …with at least one of these, the words that make it a greeting, thanks or sign-off: "Again." alone is not one.
_PLEASANTRY_ANCHORS = _vocabulary(
    """
    hi hello hey hiya howdy dear greetings morning afternoon evening thanks thank thx ty tysm cheers regards
    sincerely sorry apologies apologize appreciated appreciate ok okay k kk cool great awesome perfect dm dmed
    dm'd bye goodbye welcome worries np lol yes yeah yep care weekend
    """
)
# Words of asking for help rather than of the problem: "Could you please assist?", "Please resolve this issue or
# advise other options" add no problem of their own to the sentence before them, so they do not count as content.
_ASKING_WORDS = _vocabulary(
    """
    help assist assistance resolve fix check look looking issue issues problem problems alternative alternatives
    option options advise advice let know tell request requesting urgent urgently asap possible happened happening
    going question questions solution solve sort guide explain understand reason need needed kindly immediately
    quickly soon thanks thank appreciate able way ways
    """
)
# scikit-learn's list is made for topic words and also drops words that name what customers write about.
_PRODUCT_WORDS = _vocabulary(
    "amount bill call detail empty fill find fire full interest move name part show system top"
)
_STOP_WORDS = (frozenset(ENGLISH_STOP_WORDS) - _PRODUCT_WORDS) | _ASKING_WORDS


@dataclass(frozen=True)
class UnitSpan:
    """One problem an item raises: its words, and where they stand in the stored text (None when not verbatim)."""

    text: str
    start: int | None
    end: int | None
    # A unit of several sentences that could each stand alone may still blend problems the customer did not mark
    # ("The export times out. The SSO login loops."): its parts, for processing to take apart when each is better
    # explained by a theme of its own than the whole is (ThemeModel.better_apart). Empty for one-sentence units.
    parts: tuple["UnitSpan", ...] = ()


@dataclass
class _Sentence:
    text: str
    start: int  # offset in the own-words text
    opens_problem: bool = False


def text_units(text: str) -> list[UnitSpan]:
    """The units of a feedback text, in order; none when it holds nothing but pleasantries."""
    own_words = strip_replies_and_signature(html_to_text(text))
    sentences = [sentence for sentence in _sentences(own_words) if not _is_pleasantry(sentence.text)]
    if not sentences:
        return []
    groups = _grouped(sentences)
    groups = groups[: MAX_UNITS - 1] + ([sum(groups[MAX_UNITS - 1 :], [])] if len(groups) >= MAX_UNITS else [])
    return _located(text, own_words, groups)


def _sentences(own_words: str) -> list[_Sentence]:
    sentences = []
    for paragraph in _PARAGRAPH.finditer(own_words):
        announced = bool(sentences)  # a new paragraph or list item opens a problem
        text = _LIST_MARKER.sub(_blanked, paragraph.group())
        for boundary in sentencex.get_sentence_boundaries("en", text):
            trimmed, start, opens_problem = _trim_openers(
                text[boundary["start_index"] : boundary["end_index"]], paragraph.start() + boundary["start_index"]
            )
            if _WORD.search(trimmed):
                sentences.append(_Sentence(trimmed, start, opens_problem or announced))
                announced = False
            else:  # "One more thing." on its own: the next sentence opens a problem
                announced = announced or opens_problem
    return sentences


def _blanked(marker: re.Match) -> str:
    """A list marker as spaces, so the segmenter sees sentences and the offsets stay put."""
    return " " * len(marker.group())


def _trim_openers(raw: str, start: int) -> tuple[str, int, bool]:
    """The sentence without a leading greeting or problem connective, its new start, and whether it had the latter."""
    opens_problem = False
    while True:
        leading = len(raw) - len(raw.lstrip())
        raw, start = raw[leading:], start + leading
        match = _OPENING_GREETING.match(raw) or _NEW_PROBLEM.match(raw)
        if not match or not match.group():
            break
        opens_problem = opens_problem or bool(_NEW_PROBLEM.match(raw))
        raw, start = raw[match.end() :], start + match.end()
    return raw.rstrip(), start, opens_problem


def _words(text: str) -> list[str]:
    return [word.lower().replace("’", "'") for word in _WORD.findall(_HANDLE_OR_LINK.sub(" ", text))]


_CONTRACTION = re.compile(r"(?:'s|'re|'ve|'ll|'d|'m|n't)$")
_NEGATED_STEMS = {"ca": "can", "wo": "will", "sha": "shall"}  # can't, won't, shan't


def _content_words(text: str) -> int:
    """Words that say what the sentence is about: not function words ("what's" is "what"), not asking for help."""
    stems = (_CONTRACTION.sub("", word) for word in _words(text))
    return sum(_NEGATED_STEMS.get(stem, stem) not in _STOP_WORDS for stem in stems)


def _is_pleasantry(text: str) -> bool:
    """Greetings, thanks, apologies and sign-offs only, with at most three names (capitalised words) among them."""
    words = _WORD.findall(_HANDLE_OR_LINK.sub(" ", text))
    names = 0
    anchored = False
    for position, word in enumerate(words):
        folded = word.lower().replace("’", "'")
        if folded in _PLEASANTRY_WORDS:
            anchored = anchored or folded in _PLEASANTRY_ANCHORS
        elif position and word[:1].isupper() and names < 3:
            names += 1
        else:
            return False
    return anchored


def _grouped(sentences: list[_Sentence]) -> list[list[_Sentence]]:
    groups: list[list[_Sentence]] = []
    for sentence in sentences:
        if groups and not sentence.opens_problem:
            groups[-1].append(sentence)
        elif groups and _content_words(_joined(groups[-1])) < MIN_CONTENT_WORDS:
            groups[-1].append(sentence)  # "Please help! Also, ...": the unit so far cannot stand alone
        else:
            groups.append([sentence])
    return groups


def _located(text: str, own_words: str, groups: list[list[_Sentence]], *, split: bool = True) -> list[UnitSpan]:
    """Each group as a unit, with its offsets in the stored text where its words appear there verbatim, and its
    parts (split=True) where it holds several sentences that stand alone."""
    units = []
    searched_from = 0
    for group in groups:
        first, last = group[0], group[-1]
        words = own_words[first.start : last.start + len(last.text)].strip()[:MAX_UNIT_CHARS]
        found = text.find(words, searched_from)
        parts = _parts(group) if split else []
        located_parts = tuple(_located(text, own_words, parts, split=False)) if len(parts) > 1 else ()
        if found >= 0:
            units.append(UnitSpan(words, found, found + len(words), located_parts))
            searched_from = found + len(words)
        else:
            units.append(UnitSpan(words, None, None, located_parts))
    return units


def _parts(group: list[_Sentence]) -> list[list[_Sentence]]:
    """A unit's sentences that stand alone, each with the fragments after it ("Can you check?")."""
    parts: list[list[_Sentence]] = []
    for sentence in group:
        # A fragment joins the part before it, and a part that cannot stand alone yet takes the next sentence.
        if parts and min(_content_words(sentence.text), _content_words(_joined(parts[-1]))) < MIN_CONTENT_WORDS:
            parts[-1].append(sentence)
        else:
            parts.append([sentence])
    return parts


def _joined(sentences: list[_Sentence]) -> str:
    return " ".join(sentence.text for sentence in sentences)
