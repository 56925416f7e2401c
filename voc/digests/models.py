import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from voc.accounts.models import Account


def _timezone_validate(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(f"“{name}” is not a time zone; use a name such as Europe/Berlin or UTC") from error


def _values_validate(values, choices) -> None:
    allowed = {value for value, _ in choices}
    if not isinstance(values, list) or set(values) - allowed:
        raise ValidationError(f"choose from {', '.join(sorted(allowed))}")


def _segments_validate(values) -> None:
    _values_validate(values, Account.Segment.choices)


def _tiers_validate(values) -> None:
    _values_validate(values, Account.Tier.choices)


class DigestSubscription(models.Model):
    """Who gets the weekly digest, about what, and when (in their own time zone)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    recipient = models.EmailField(help_text="Normally a product lead.")
    recipient_name = models.CharField(max_length=200, blank=True)
    product_areas = models.ManyToManyField(
        "themes.ProductArea", blank=True, related_name="digest_subscriptions",
        help_text="Only themes in these product areas; none means all.",
    )
    segments = models.JSONField(
        default=list, blank=True, validators=[_segments_validate],
        help_text="Only feedback from accounts in these segments; none means all.",
    )
    tiers = models.JSONField(
        default=list, blank=True, validators=[_tiers_validate],
        help_text="Only feedback from accounts on these plan tiers; none means all.",
    )
    day_of_week = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    hour = models.PositiveSmallIntegerField(default=8, help_text="0 to 23, in the subscription's time zone.")
    timezone = models.CharField(max_length=64, default="UTC", validators=[_timezone_validate])
    active = models.BooleanField(
        default=True, help_text="Paused subscriptions get nothing until turned back on. Turning it on again also "
        "re-subscribes someone who unsubscribed through the link in an email.",
    )
    send_when_quiet = models.BooleanField(
        default=True, help_text="Send a short email in a week without new feedback; off skips that week (logged)."
    )
    # Signed into the unsubscribe link; a new one invalidates every link sent before.
    unsubscribe_key = models.UUIDField(default=uuid.uuid4, editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["recipient", "pk"]
        constraints = [models.CheckConstraint(condition=Q(hour__lte=23), name="digest_subscription_hour_valid")]

    def __str__(self):
        return f"{self.recipient} ({self.get_day_of_week_display()} {self.hour:02d}:00 {self.timezone})"

    def clean(self):
        if self.hour is not None and not 0 <= self.hour <= 23:
            raise ValidationError({"hour": "give an hour from 0 to 23"})


class DigestDelivery(models.Model):
    """One digest email: claimed before it is sent, so each subscription gets one per week.

    The row is created (claimed) for a (subscription, week) before anything is sent; an attempt takes a lease on
    it, notes the moment it hands the message to SMTP, and marks it sent after. An attempt found holding an
    expired lease died mid-send: if it had reached SMTP, the retry is a marked resend with the same Message-ID.
    """

    class Kind(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        TEST = "test", "Test"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(DigestSubscription, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEEKLY)
    week = models.DateField(help_text="The Monday of the subscriber's local week the digest belongs to.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    recipient = models.EmailField()
    # <…@host>: set when claimed and kept through retries, so the SMTP server's log can be matched against it.
    message_id = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    smtp_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last attempt handed the message to the SMTP server."
    )
    resend = models.BooleanField(
        default=False, help_text="Sent again after an attempt died mid-send; the email says so."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="The last error, or why the week was skipped.")
    text_body = models.TextField(blank=True, help_text="The plain-text part as sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "digest deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "week"], condition=Q(kind="weekly"), name="digest_one_weekly_per_week"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="digest_delivery_due_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} digest to {self.recipient}, week of {self.week:%Y-%m-%d}"
