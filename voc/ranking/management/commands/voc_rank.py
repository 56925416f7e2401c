"""Print themes ranked by customer weight, with the figures that explain each score."""

import json
import re

from django.core.management.base import BaseCommand, CommandError

from voc.core.money import money
from voc.ranking.selectors import FILTERS, RankedTheme, theme_item_ids, themes_ranked

PERIOD = re.compile(r"^(\d+)([dw])$")


def period_days(text: str) -> int:
    """'90d' → 90, '12w' → 84."""
    match = PERIOD.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise CommandError(f"--period {text!r}: use a number of days or weeks, e.g. 90d or 12w")
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)


class Command(BaseCommand):
    help = "Rank themes by customer weight (distinct accounts, ARR with diminishing returns, recency, source)."

    def add_arguments(self, parser):
        parser.add_argument("--period", default="90d", help="how far back to look, e.g. 90d or 12w (default 90d)")
        parser.add_argument("--top", type=int, default=20, help="how many themes to print (default 20; 0 for all)")
        parser.add_argument("--json", action="store_true", dest="as_json", help="JSON with each score's explanation")
        for name in FILTERS:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, help=f"only feedback with this {name}")

    def handle(self, *args, period, top, as_json, **options):
        filters = {name: options[name] for name in FILTERS if options.get(name)}
        ranked = themes_ranked(period_days=period_days(period), explain=as_json, **filters)
        shown = ranked[:top] if top else ranked
        if as_json:
            # Each theme lists its items, so an item that raised several problems is found under each of them.
            item_ids = theme_item_ids([row.theme.pk for row in shown], period_days=period_days(period), **filters)
            self.stdout.write(
                json.dumps([ranked_as_dict(row) | {"item_ids": item_ids[row.theme.pk]} for row in shown], indent=2)
            )
            return
        self.stdout.write(ranked_table(shown, period=period, total=len(ranked)))



def ranked_as_dict(row: RankedTheme) -> dict:
    score = row.score
    return {
        "rank": row.rank,
        "rank_by_mentions": row.rank_by_mentions,
        "theme_id": row.theme.pk,
        "theme": row.theme.display_name,
        "emerging": row.theme.emerging,
        "score": round(score.score, 4),
        "interval_90": [round(score.low, 4), round(score.high, 4)],
        "change_vs_last_week": round(row.change, 4),
        "change_vs_4_weeks_ago": round(row.change_4_weeks, 4),
        "accounts": score.accounts,
        "arr": float(score.arr),
        "mentions": score.mentions,
        "loudness": round(score.loudness, 4),
        "too_little_evidence": score.too_little_evidence,
        "status": row.theme.status,
        "product_area": row.theme.product_area.name if row.theme.product_area else None,
        "contributions": [
            {
                "account_id": c.account_id, "voice": c.label, "mentions": c.mentions, "value": round(c.value, 4),
                "reliability": round(c.reliability, 4), "freshness": round(c.freshness, 4),
                "repeat": round(c.repeat, 4), "contribution": round(c.weight, 4),
            }
            for c in score.contributions
        ],
    }


def ranked_table(rows: list[RankedTheme], *, period: str, total: int) -> str:
    """Fits a 100-column terminal; --json has everything, explanations included."""
    header = (
        f"  {'#':>3} {'Ment#':>5}  {'Theme':<26} {'Score':>6} {'90% int.':>11} {'Δ week':>6} "
        f"{'Accts':>5} {'ARR':>10} {'Ment':>5} {'Loud':>4}"
    )
    title = f"Themes by customer weight, last {period} ({total} with feedback; Ment# = rank by mentions)"
    lines = [title, header, "  " + "-" * (len(header) - 2)]
    for row in rows:
        score = row.score
        flag = " *" if score.too_little_evidence else ""
        name = ("+" if row.theme.emerging else "") + row.theme.display_name
        lines.append(
            f"  {row.rank:>3} {row.rank_by_mentions:>5}  {name[:26]:<26} {score.score:>6.1f} "
            f"{f'{score.low:.1f}–{score.high:.1f}':>11} {row.change:>+6.1f} {score.accounts:>5} "
            f"{money(score.arr):>10} {score.mentions:>5} {score.loudness:>4.0%}{flag}"
        )
    if any(row.theme.emerging for row in rows):
        lines.append("  + emerging: gathered from unsorted feedback since the last re-clustering")
    if any(row.score.too_little_evidence for row in rows):
        lines.append("  * too little evidence: fewer distinct accounts than VOC_RANK_MIN_ACCOUNTS")
    return "\n".join(lines) + "\n"
