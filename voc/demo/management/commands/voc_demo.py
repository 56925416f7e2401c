"""`python manage.py voc_demo`: migrate, load the demo data set, print what is there, serve the admin."""

import textwrap

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from voc.core.money import money
from voc.demo.selectors import FeedbackSummary, feedback_summary
from voc.demo.services import DEFAULT_PASSWORD, DemoSummary, demo_load
from voc.digests.services import digest_preview_write
from voc.feedback.models import FeedbackItem
from voc.ranking.management.commands.voc_rank import ranked_table
from voc.ranking.selectors import themes_ranked

# The summary fits a 100-column terminal.
LINE_WIDTH = 100
RANKING_PERIOD_DAYS = 90


class Command(BaseCommand):
    help = "Load the demo data set (accounts, sources, ~1,500 feedback items) and serve the admin on it."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="seed for the generated accounts and spread")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password for the demo users")
        parser.add_argument(
            "--limit", type=int, default=None,
            help="load at most this many items of the bulk sample (the loud and large accounts always load)",
        )
        parser.add_argument("--no-serve", action="store_true", help="load and print the summary, then exit")
        parser.add_argument("--addr", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")

    def handle(self, *args, **options):
        if options["limit"] is not None and options["limit"] < 0:
            raise CommandError("--limit must be 0 or more")
        self.stdout.write(f"Database: {_database_label()}")
        self.stdout.write("Applying migrations…")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading the demo data set…")
        loaded = demo_load(seed=options["seed"], password=options["password"], limit=options["limit"])
        summary = feedback_summary(top=10)

        base_url = f"http://{_host(options['addr'])}:{options['port']}"
        for line in _report(loaded, summary):
            self.stdout.write(line)
        self.stdout.write("\nFinding themes (embed, cluster, name)…")
        call_command("voc_pipeline", stdout=self.stdout)
        for line in _ranking_lines(loaded):
            self.stdout.write(line)
        preview = settings.VAR_DIR / "digest-preview.html"
        digest_preview_write(loaded.digest_recipient, preview)
        self.stdout.write(
            f"\nThis week's digest email for {loaded.digest_recipient}, as a preview:\n  {preview}\n"
            f"  (python manage.py voc_digest --preview {loaded.digest_recipient} prints its text)"
        )
        for line in _login_lines(loaded, admin_url=f"{base_url}/admin/"):
            self.stdout.write(line)
        if options["no_serve"]:
            return
        self.stdout.write("")
        call_command(
            "runserver",
            f"{_host(options['addr'])}:{options['port']}",
            use_reloader=False,
            # The demo may run with DEBUG off; the admin still needs its CSS.
            insecure_serving=True,
        )


def _report(loaded: DemoSummary, summary: FeedbackSummary) -> list[str]:
    lines = [
        "",
        f"Loaded {loaded.accounts_total} accounts ({loaded.accounts_created} new), "
        f"{loaded.contacts_total} contacts ({loaded.contacts_created} new), {len(loaded.sources)} sources.",
        f"Feedback: {loaded.items_planned:,} items offered, {loaded.items_created:,} new, "
        f"{loaded.items_duplicate:,} already there, {loaded.items_rejected:,} rejected.",
    ]
    lines += [f"  rejected: {message}" for message in loaded.rejections[:5]]
    lines += [
        f"The database now holds {summary.total:,} feedback items, {summary.accounts:,} accounts and "
        f"{summary.contacts:,} contacts.",
        "",
        "Feedback by source",
        *_table(
            ["Source", "Kind", "Weight", "Items"],
            [(row.name, row.kind, f"{row.reliability_weight:.1f}", f"{row.items:,}") for row in summary.by_source],
            right={2, 3},
        ),
        "",
        "Feedback by kind",
        *_table(["Kind", "Items"], [(label, f"{count:,}") for label, count in summary.by_kind], right={1}),
        "",
        f"Top {len(summary.top_accounts)} accounts by feedback items",
        *_table(
            ["Account", "Segment", "ARR", "Items"],
            [(row.name, row.segment or "-", money(row.arr), f"{row.items:,}") for row in summary.top_accounts],
            right={2, 3},
        ),
        "",
        f"Linked to an account: {summary.resolved:,} of {summary.total:,} items ({summary.resolved_share:.1%})",
        *_table(
            ["Resolved by", "Items", "Share"],
            [
                (label, f"{count:,}", f"{count / summary.total:.1%}" if summary.total else "-")
                for label, count in summary.by_resolved_by
            ],
            right={1, 2},
        ),
        "",
        "Processing: " + ", ".join(f"{count:,} {label.lower()}" for label, count in summary.by_status),
    ]
    pending = dict(summary.by_status).get("Pending", 0)
    if pending and not settings.CELERY_TASK_ALWAYS_EAGER:
        lines.append(f"  {pending:,} items wait for a Celery worker: celery -A config worker -l INFO")
    return lines


def _ranking_lines(loaded: DemoSummary) -> list[str]:
    """The ranked themes, and where the loud small account's theme lands by mentions and by weight."""
    ranked = themes_ranked(period_days=RANKING_PERIOD_DAYS)
    lines = ["", ranked_table(ranked[:10], period=f"{RANKING_PERIOD_DAYS}d", total=len(ranked))]
    loud = (
        FeedbackItem.objects.filter(account__name=loaded.loud_account, theme__isnull=False)
        .values("theme")
        .annotate(items=Count("pk"))
        .order_by("-items")
        .first()
    )
    row = next((row for row in ranked if loud and row.theme.pk == loud["theme"]), None)
    if row:
        sentence = (
            f"The loud small account {loaded.loud_account} sent {loud['items']} of the {row.score.mentions} mentions "
            f"in “{row.theme.display_name}”: #{row.rank_by_mentions} by mentions, #{row.rank} by customer weight "
            f"({row.score.accounts} accounts). Explain any score: python manage.py voc_rank --json"
        )
        lines.extend(textwrap.wrap(sentence, LINE_WIDTH))
    return lines


def _login_lines(loaded: DemoSummary, *, admin_url: str) -> list[str]:
    lines = ["", f"Log in at {admin_url}"]
    width = max(len(username) for username, _ in loaded.users)
    lines += [
        f"  {username:<{width}}  password {loaded.password}   ({role})" for username, role in loaded.users
    ]
    if loaded.api_token:
        lines.append(f"API token for admin (shown once, keep it): {loaded.api_token}")
    elif loaded.api_token_note:
        lines += textwrap.wrap(loaded.api_token_note, width=LINE_WIDTH)
    return lines


def _table(headers: list[str], rows: list[tuple[str, ...]], *, right: set[int], max_width: int = 40) -> list[str]:
    cells = [[str(value)[:max_width] for value in row] for row in rows]
    widths = [max([len(header)] + [len(row[index]) for row in cells]) for index, header in enumerate(headers)]

    def line(values) -> str:
        padded = [
            value.rjust(widths[index]) if index in right else value.ljust(widths[index])
            for index, value in enumerate(values)
        ]
        return "  " + "  ".join(padded).rstrip()

    return [line(headers), "  " + "  ".join("-" * width for width in widths), *(line(row) for row in cells)]


def _host(addr: str) -> str:
    return f"[{addr}]" if ":" in addr else addr


def _database_label() -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"SQLite file {database['NAME']}"
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    return f"{engine} database {database['NAME']} on {database.get('HOST') or 'localhost'}"
