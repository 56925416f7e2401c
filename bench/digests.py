"""Weekly digests at scale: building, rendering and sending them over 1M items and 2,000 themes.

    python -m bench.digests [--items 1000000] [--themes 2000] [--subscriptions 100] [--runs 10] [--rebuild]

Uses the data set of bench.pages (same database and options; loaded on first use). It times digest_build for the
kinds of subscription there are (all feedback, a product area, one segment, which the ranking snapshots answer,
and two segments with a tier, computed from the feedback), the rendering (HTML, text, PNG sparklines), and the
beat job sending every due subscription to a real SMTP server on 127.0.0.1 (aiosmtpd); then it runs the job twice
more and counts the emails that arrived, which must be one per subscription.
"""

import logging
import socket
import statistics
import time
from datetime import timedelta

from bench import print_table
from bench.pages import SEGMENTS, data_set_parser, data_set_ready


def main() -> None:
    parser = data_set_parser(__doc__)
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10, help="builds per kind of subscription (default 10)")
    args = parser.parse_args()
    data_set_ready(args, benchmark="bench.digests")

    from django.conf import settings

    from voc.ranking.models import ThemeRanking
    from voc.ranking.services import rankings_refresh, weeks_refresh

    if not ThemeRanking.objects.exists():
        print("computing the snapshots the digests read…")
        weeks_refresh(weeks=12)
        rankings_refresh()

    print(f"\nBuilding and rendering a digest, {args.runs} runs each (ms)")
    print_table(["step", "p50", "p95", "max"], _builds(args))

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with _smtp_server() as (inbox, port):
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
        print(f"\nSending to a local SMTP server, {args.subscriptions} subscriptions due")
        print_table(["run of the beat job", "digests sent", "seconds", "digests/s", "emails received"],
                    _sends(args, inbox))


def _builds(args) -> list[list]:
    from voc.digests.rendering import digest_render
    from voc.digests.selectors import DigestFilters, digest_build

    kinds = [
        ("build: all feedback (snapshot)", DigestFilters()),
        ("build: one product area (snapshot)", DigestFilters(product_areas=("Area 3",))),
        ("build: one segment (snapshot slice)", DigestFilters(segments=("enterprise",))),
        ("build: two segments and a tier (from the feedback)",
         DigestFilters(segments=tuple(SEGMENTS[:2]), tiers=("growth",))),
    ]
    rows = []
    for name, filters in kinds:
        rows.append([name, *_timed(lambda filters=filters: digest_build(filters=filters), args.runs)])
    digest = digest_build(filters=DigestFilters())
    rows.append(["render: HTML, text and PNG sparklines",
                 *_timed(lambda: digest_render(digest, unsubscribe_url="http://voc.test/u/"), args.runs)])
    return rows


def _timed(work, runs: int) -> list[float]:
    work()  # warm
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return [statistics.median(timings), timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
            timings[-1]]


def _sends(args, inbox) -> list[list]:
    from django.utils import timezone

    from voc.digests.models import DigestDelivery, DigestSubscription
    from voc.digests.services import deliveries_claim_due, delivery_attempt

    DigestDelivery.objects.all().delete()
    DigestSubscription.objects.all().delete()
    segments = [[], ["enterprise"], ["smb", "mid_market"]]
    for number in range(args.subscriptions):
        DigestSubscription.objects.create(
            recipient=f"lead{number}@bench.example", day_of_week=0, hour=0, segments=segments[number % 3]
        )
    DigestSubscription.objects.update(created_at=timezone.now() - timedelta(days=30))
    rows = []
    for run in ("first (all due)", "second (beat again)", "third (beat again)"):
        started = time.perf_counter()
        sent = 0
        for delivery in deliveries_claim_due():
            sent += delivery_attempt(delivery.pk).status == DigestDelivery.Status.SENT
        seconds = time.perf_counter() - started
        rows.append([run, sent, seconds, sent / seconds if sent else 0.0, len(inbox.messages)])
    return rows


class _smtp_server:
    """A local aiosmtpd server that counts what it accepts."""

    def __enter__(self):
        from aiosmtpd.controller import Controller

        # aiosmtpd logs every SMTP command at INFO: hundreds of lines around the table this benchmark prints.
        logging.getLogger("mail.log").setLevel(logging.WARNING)

        class Inbox:
            messages: list = []

            async def handle_DATA(self, server, session, envelope):
                self.messages.append(envelope.mail_from)
                return "250 2.0.0 Accepted"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)
        self.controller.start()
        return self.inbox, port

    def __exit__(self, *exc):
        self.controller.stop()


if __name__ == "__main__":
    main()
