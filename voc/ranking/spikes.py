"""When a theme's week is a spike: far above the theme's own trailing weeks, never above other themes.

A week is a spike when its score is at least SPIKE_FACTOR times the theme's own trailing mean and more than
SPIKE_SIGMAS standard deviations above it, over at least SPIKE_MIN_HISTORY of the SPIKE_TRAILING weeks before it
(quiet weeks count as zero). Relative to the theme itself, so a big theme's normal week is never a spike.

One rule for the weekly snapshots (voc.ranking.services) and for weekly series computed under filters
(voc.ranking.selectors.theme_week_series), so a filtered sparkline marks spikes the way the unfiltered one does.
"""

import statistics
from datetime import date, timedelta

SPIKE_TRAILING = 8
SPIKE_MIN_HISTORY = 4
SPIKE_FACTOR = 2.0
SPIKE_SIGMAS = 3.0


def is_spike(score: float, trailing: list[float], *, known_weeks: int) -> bool:
    if known_weeks < SPIKE_MIN_HISTORY:
        return False
    mean = statistics.fmean(trailing)
    spread = statistics.pstdev(trailing)
    return score >= SPIKE_FACTOR * mean and score > mean + SPIKE_SIGMAS * spread


def week_is_spike(scores: dict[date, float], week: date) -> bool:
    """Whether the week (a Monday) is a spike among a theme's weekly scores ({Monday: score}, weeks with feedback)."""
    before = [week - timedelta(weeks=n) for n in range(1, SPIKE_TRAILING + 1)]
    known = sum(1 for earlier in before if earlier in scores)
    return is_spike(scores[week], [scores.get(earlier, 0.0) for earlier in before], known_weeks=known)
