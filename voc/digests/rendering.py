"""A digest as an email: HTML with inline CSS, a plain-text part, and sparklines as inline PNG parts."""

import base64
from dataclasses import dataclass
from email.mime.image import MIMEImage

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.urls import reverse

from voc.digests.charts import sparkline_png
from voc.digests.models import DigestSubscription
from voc.digests.selectors import Digest, ThemeLine

UNSUBSCRIBE_SALT = "voc.digests.unsubscribe"


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    html: str
    text: str
    images: dict[str, bytes]  # Content-ID (without <>) → PNG; empty when the HTML carries them as data: URLs


def digest_render(
    digest: Digest, *, unsubscribe_url: str = "", inline_images: bool = True, resend: bool = False,
    test: bool = False, time_zone: str = "UTC",
) -> RenderedDigest:
    """inline_images: sparklines as cid: parts of the email; off, as data: URLs, for a browser or a file.
    time_zone: the subscriber's, for the dates the email shows."""
    images: dict[str, bytes] = {}
    sparklines: dict[int, str] = {}
    for line in _lines(digest):
        if line.theme.pk in sparklines:
            continue
        png = sparkline_png(line.weekly_scores, spikes=line.spikes, partial_last=line.partial_last)
        name = f"trend-{line.theme.pk}"
        if inline_images:
            images[name] = png
            sparklines[line.theme.pk] = f"cid:{name}"
        else:
            sparklines[line.theme.pk] = "data:image/png;base64," + base64.b64encode(png).decode()
    prefix = "[Test] " if test else "[Resent] " if resend else ""
    # One line, whatever a theme's name holds: a line break in a header would refuse the whole email.
    context = {
        "digest": digest,
        "sparklines": sparklines,
        "unsubscribe_url": unsubscribe_url,
        "resend": resend,
        "test": test,
        "time_zone": time_zone,
        "subject": " ".join((prefix + digest.subject).split()),
    }
    return RenderedDigest(
        subject=context["subject"],
        html=render_to_string("digests/email.html", context),
        text=render_to_string("digests/email.txt", context),
        images=images,
    )


def _lines(digest: Digest) -> list[ThemeLine]:
    return [*digest.top, *digest.risers, *digest.fallers, *digest.new_themes]


class DigestEmail(EmailMultiAlternatives):
    """text/plain and text/html alternatives, the HTML wrapped in multipart/related with its images, so that mail
    clients show the charts in place rather than as attachments."""

    def __init__(self, *args, images: dict[str, bytes] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.images = images or {}

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if not self.images:
            return msg
        *others, html = msg.get_payload()
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.attach(html)
        for name, png in self.images.items():
            image = MIMEImage(png, "png")
            image.add_header("Content-ID", f"<{name}>")
            image.add_header("Content-Disposition", "inline", filename=f"{name}.png")
            related.attach(image)
        msg.set_payload([*others, related])
        return msg


def digest_email(rendered: RenderedDigest, *, to: str, message_id: str, unsubscribe_url: str = "",
                 headers: dict[str, str] | None = None) -> DigestEmail:
    extra = {"Message-ID": message_id, **(headers or {})}
    if unsubscribe_url:
        # RFC 8058: mail providers offer an unsubscribe button that POSTs to the link, no page in between.
        extra["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        extra["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = DigestEmail(
        subject=rendered.subject, body=rendered.text, to=[to], headers=extra, images=rendered.images,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def unsubscribe_token(subscription: DigestSubscription) -> str:
    return signing.dumps(
        {"s": subscription.pk, "k": subscription.unsubscribe_key.hex}, salt=UNSUBSCRIBE_SALT, compress=True
    )


def unsubscribe_url(subscription: DigestSubscription) -> str:
    return f"{settings.VOC_BASE_URL}{reverse('digest-unsubscribe', args=[unsubscribe_token(subscription)])}"
