"""`python manage.py voc_digest`: preview a digest, or send the ones that are due."""

from pathlib import Path

from django.core.management.base import BaseCommand

from voc.digests.services import deliveries_claim_due, delivery_attempt, digest_preview_write


class Command(BaseCommand):
    help = "Preview the weekly digest for a recipient (--preview EMAIL), or send every digest that is due (--send-due)."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument(
            "--preview", metavar="EMAIL",
            help="build this week's digest for the subscription(s) of EMAIL (all feedback if there is none), "
                 "write the HTML to a file and print the text",
        )
        action.add_argument("--send-due", action="store_true", help="claim and send the digests that are due now")
        parser.add_argument("--out", default="", help="where --preview writes the HTML (default digest-preview.html)")

    def handle(self, *args, **options):
        if options["send_due"]:
            deliveries = deliveries_claim_due()
            for delivery in deliveries:
                done = delivery_attempt(delivery.pk)
                detail = f": {done.error}" if done.error else ""
                self.stdout.write(f"{done.recipient} {done.week:%G-W%V}: {done.get_status_display()}{detail}")
            self.stdout.write(f"{len(deliveries)} digest{'' if len(deliveries) == 1 else 's'} due.")
            return
        path = Path(options["out"] or "digest-preview.html")
        rendered = digest_preview_write(options["preview"], path)
        self.stdout.write(rendered.text)
        self.stdout.write(f"HTML written to {path.resolve()}")
