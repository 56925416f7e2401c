"""Run the pipeline synchronously: process pending items (split, embed, resolve, assign), cut items split by an
older rule again, read the sentiment of items processed before it existed, re-cluster and name, snapshot trends
and rankings."""

from django.core.management.base import BaseCommand
from django.db.models import Count
from tqdm import tqdm

from voc.feedback.models import FeedbackItem
from voc.feedback.pipeline import feedback_process_pending, units_resplit
from voc.feedback.selectors import items_without_content
from voc.feedback.sentiment import feedback_sentiment_backfill
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.models import Theme
from voc.themes.services import themes_recluster

# Weekly snapshots written after a re-cluster, so trends and sparklines have history from the start.
TREND_WEEKS = 12


class Command(BaseCommand):
    help = "Embed pending feedback, re-cluster all of it into themes, name them, and print the themes."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0, help="random seed of the clustering (default 0)")
        parser.add_argument("--top", type=int, default=15, help="how many themes to print (default 15)")

    def handle(self, *args, seed, top, **options):
        pending = FeedbackItem.objects.filter(status=FeedbackItem.Status.PENDING).count()
        with tqdm(total=pending, desc="embed", unit="item", disable=not pending) as bar:
            feedback_process_pending(progress=lambda done: bar.update(done - bar.n))
        # Items stored before feedback units (or cut by an older rule) are split again, a chunk at a time; until then
        # each counts as one unit of its whole text, so the ranking stays up throughout.
        with tqdm(desc="split", unit="item") as bar:

            def resplit_progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            units_resplit(progress=resplit_progress)
        # Items processed before sentiment existed get theirs from the vectors already stored: no model pass.
        with tqdm(desc="sentiment", unit="item") as bar:

            def sentiment_progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            feedback_sentiment_backfill(progress=sentiment_progress)
        with tqdm(total=3, desc="themes", bar_format="{desc}: {n}/{total} {postfix}") as bar:

            def step(message: str) -> None:
                bar.set_postfix_str(message)
                bar.update(1)

            run = themes_recluster(seed=seed, progress=step)
        weeks_refresh(weeks=TREND_WEEKS)
        rankings_refresh()
        share = run.unsorted / run.items * 100 if run.items else 0
        self.stdout.write(
            f"\n{run.themes} themes from {run.items:,} feedback units ({run.unsorted:,} unsorted, {share:.1f}%), "
            f"model {run.model_version}\n"
        )
        no_content = items_without_content().count()
        if no_content:
            self.stdout.write(f"{no_content:,} items held no feedback content (greetings or thanks only): no theme\n")
        self.stdout.write(themes_table(limit=top))


def themes_table(*, limit: int) -> str:
    """The largest live themes with their accounts, as a plain-text table."""
    themes = (
        Theme.objects.filter(retired_at__isnull=True)
        .annotate(accounts=Count("units__item__account", distinct=True), mentions=Count("units__item", distinct=True))
        .order_by("-mentions")[:limit]
    )
    lines = [f"  {'Theme':<34} {'Items':>5} {'Accounts':>8}  Keywords", f"  {'-' * 34} {'-' * 5} {'-' * 8}  {'-' * 30}"]
    for theme in themes:
        keywords = ", ".join(theme.keywords[:4])
        lines.append(f"  {theme.display_name[:34]:<34} {theme.mentions:>5} {theme.accounts:>8}  {keywords[:40]}")
    return "\n".join(lines) + "\n"
