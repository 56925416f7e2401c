"""Competitor mentions: which rival products each unit of feedback names, so a PM sees "8 accounts mention Zendesk".

The rule, step by step:

1. A competitor is known by its name and its aliases (Competitor.aliases), all matched alike.
2. A name matches as a whole word, in any case: the characters just before and after it must not be letters,
   digits or "_". So "zendesk's", "#Zendesk", "Zendesk-like" and "zendesk.com" name Zendesk, while "Asanas",
   "Fiderer" and "zendesk_api" name nothing. A name with punctuation ("Monday.com") is matched literally, and a
   space in a name matches any run of whitespace ("Zendesk  Suite" across a line break).
3. All competitors go into one compiled pattern, longest name first: where two names overlap at one place
   ("Monday" and "Monday.com"), the longer one is what the customer wrote.
4. New units are tagged as the pipeline stores them (voc.feedback.pipeline.units_replace). A competitor added
   later, or whose names change, tags past feedback in the background (competitor_tag_past_task): the database
   picks the units whose text holds one of its words anywhere (a cheap LIKE over a range of ids), and the
   pattern keeps the units whose own words name it. Units tagged before and no longer named lose the tag.

A chunk of 500 items that the pipeline was processing while a competitor was saved uses the list it read; saving
the competitor again, or "Tag past feedback again" in the admin, catches such a chunk.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q

from voc.feedback.models import Competitor, FeedbackUnit

# Unit ids per transaction of the past pass: short transactions beside the pipeline's. Measured on PostgreSQL over
# the 20,000 units of bench.pages: a name no unit holds took 40 ms in all (10 ms a step: an indexed range and a
# LIKE on each row's text); a word every unit holds, 1.1 s (every row read, matched and tagged). A million units
# are 200 steps: seconds, or about a minute at worst, in the background.
PAST_CHUNK = 5000

Tag = FeedbackUnit.competitors.through


def competitor_names(competitor: Competitor) -> list[str]:
    """The competitor's name and aliases, trimmed, without blanks or repeats (any case)."""
    names, seen = [], set()
    for name in [competitor.name, *(alias for alias in competitor.aliases or [] if isinstance(alias, str))]:
        name = " ".join(name.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


@dataclass(frozen=True)
class CompetitorMatcher:
    """One compiled pattern for a list of competitors; each named group is one name, and says whose it is."""

    pattern: re.Pattern | None  # None when no competitor has a name
    owners: dict[str, frozenset[int]]  # group name → ids of the competitors with that name (aliases may be shared)

    def competitor_ids(self, text: str) -> set[int]:
        """The competitors the text names."""
        if self.pattern is None or not text:
            return set()
        return {pk for match in self.pattern.finditer(text) for pk in self.owners[match.lastgroup]}


def competitor_matcher(competitors: Iterable[Competitor]) -> CompetitorMatcher:
    owners: dict[str, set[int]] = {}
    spelled: dict[str, str] = {}
    for competitor in competitors:
        for name in competitor_names(competitor):
            owners.setdefault(name.casefold(), set()).add(competitor.pk)
            spelled.setdefault(name.casefold(), name)
    if not owners:
        return CompetitorMatcher(pattern=None, owners={})
    keys = sorted(owners, key=lambda key: (-len(key), key))
    spaces = r"\s+"
    alternatives = "|".join(
        f"(?P<n{index}>{spaces.join(re.escape(word) for word in spelled[key].split())})"
        for index, key in enumerate(keys)
    )
    # Look-arounds, not \b: \b needs a word character on the inside, which a name like "Monday.com" ends without.
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return CompetitorMatcher(
        pattern=pattern, owners={f"n{index}": frozenset(owners[key]) for index, key in enumerate(keys)}
    )


def competitors_tag(*, units: Sequence[FeedbackUnit]) -> int:
    """Tag units just stored with the competitors their words name; returns how many tags were written."""
    matcher = competitor_matcher(Competitor.objects.only("pk", "name", "aliases"))
    if matcher.pattern is None or not units:
        return 0
    tags = [
        Tag(feedbackunit_id=unit.pk, competitor_id=competitor_id)
        for unit in units
        for competitor_id in sorted(matcher.competitor_ids(unit.words))
    ]
    Tag.objects.bulk_create(tags, ignore_conflicts=True)
    return len(tags)


def competitor_tag_past_soon(*, competitor_id: int) -> None:
    """Tag past feedback for the competitor in the background, once the current transaction commits."""
    from voc.feedback.tasks import competitor_tag_past_task  # the tasks module imports this one

    transaction.on_commit(lambda: competitor_tag_past_task.delay(competitor_id), robust=True)


def competitor_tag_past(*, competitor_id: int, chunk: int = PAST_CHUNK) -> int:
    """Tag every stored unit that names the competitor and untag those that no longer do; returns how many units
    name it now. A competitor deleted since is nothing to do: its tags went with it."""
    from voc.ranking.services import rankings_refresh_soon  # ranking reads feedback; this is the one call back

    competitor = Competitor.objects.filter(pk=competitor_id).first()
    if competitor is None:
        return 0
    matcher = competitor_matcher([competitor])
    # The longest word of each name is in every text that names it, whatever the spacing between words.
    holds = Q()
    for name in competitor_names(competitor):
        word = max(name.split(), key=len)
        holds |= Q(item__text__icontains=word) | Q(text__icontains=word)
    tagged = Tag.objects.filter(competitor_id=competitor_id, feedbackunit_id=OuterRef("pk"))
    candidates = (
        FeedbackUnit.objects.filter(holds | Exists(tagged))
        .select_related("item")
        .only("pk", "start", "end", "text", "item__text")
    )
    last = FeedbackUnit.objects.aggregate(last=Max("pk"))["last"] or 0
    naming_total = 0
    for first in range(0, last, chunk):
        with transaction.atomic():
            units = list(candidates.filter(pk__gt=first, pk__lte=first + chunk))
            naming = [unit.pk for unit in units if competitor_id in matcher.competitor_ids(unit.words)]
            Tag.objects.filter(
                competitor_id=competitor_id, feedbackunit_id__in=[unit.pk for unit in units]
            ).exclude(feedbackunit_id__in=naming).delete()
            Tag.objects.bulk_create(
                [Tag(feedbackunit_id=pk, competitor_id=competitor_id) for pk in naming], ignore_conflicts=True
            )
        naming_total += len(naming)
    rankings_refresh_soon()
    return naming_total
