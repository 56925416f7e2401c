from django.conf import settings
from django.db import models
from django.db.models import Q


class Source(models.Model):
    """A configured feed of feedback: a connector, the API, a file import or people logging by hand."""

    class Kind(models.TextChoices):
        MANUAL = "manual", "Logged by hand"
        API = "api", "REST API"
        IMPORT = "import", "File import"
        ZENDESK = "zendesk", "Zendesk"
        INTERCOM = "intercom", "Intercom"
        TYPEFORM = "typeform", "Typeform"
        SURVEY = "survey", "Survey / NPS"
        REDDIT = "reddit", "Reddit"
        TWITTER = "twitter", "Twitter/X"
        HUBSPOT = "hubspot", "HubSpot"
        SALESFORCE = "salesforce", "Salesforce"
        WEBHOOK = "webhook", "Generic webhook"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)
    # Connector settings; secrets are never stored here, only the names of environment variables.
    settings = models.JSONField(default=dict, blank=True)
    reliability_weight = models.FloatField(
        default=1.0,
        help_text="How much one item from this source counts, 0 to 1 (a ticket 1.0, an anonymous tweet less).",
    )
    cursor = models.JSONField(default=dict, blank=True, help_text="Where the connector resumes.")
    sync_every_minutes = models.PositiveIntegerField(
        default=60, help_text="How often beat syncs this source (connectors only); 0 syncs only on demand."
    )
    # Held by the one sync running for this source; taken under a row lock, renewed with each page.
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reliability_weight__gte=0) & Q(reliability_weight__lte=1),
                name="source_reliability_between_0_and_1",
            )
        ]

    def __str__(self):
        return self.name


class Sentiment(models.TextChoices):
    """How a customer felt, read from their words (voc.feedback.sentiment); blank until processed."""

    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class Competitor(models.Model):
    """A rival product customers compare us with; units naming it or one of its aliases are tagged with it."""

    name = models.CharField(max_length=100, unique=True)
    # Other spellings customers use ("ZD", "Zendesk Suite"), matched like the name: whole words, any case.
    aliases = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class FeedbackItem(models.Model):
    """One piece of customer feedback, unique per (source, external_id)."""

    class Kind(models.TextChoices):
        TICKET = "ticket", "Support ticket"
        SURVEY = "survey", "Survey / NPS"
        SOCIAL = "social", "Social post"
        SALES_NOTE = "sales_note", "Sales note"
        MANUAL = "manual", "Logged by hand"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    class ResolvedBy(models.TextChoices):
        UNRESOLVED = "", "Unresolved"
        GIVEN = "given", "Account given"
        CONTACT_EMAIL = "contact_email", "Contact email"
        EMAIL_DOMAIN = "email_domain", "Email domain"
        SOCIAL_HANDLE = "social_handle", "Social handle"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="items")
    external_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=500, blank=True)
    # Stored as given; HTML in it is plain text to us and is escaped wherever it is shown.
    text = models.TextField()
    text_truncated = models.BooleanField(default=False)
    url = models.URLField(max_length=2000, blank=True)
    author_email = models.EmailField(max_length=254, blank=True)
    author_handle = models.CharField(max_length=100, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items"
    )
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items"
    )
    resolved_by = models.CharField(max_length=20, choices=ResolvedBy.choices, blank=True, default="")
    occurred_at = models.DateTimeField(help_text="When the customer said it.")
    received_at = models.DateTimeField(auto_now_add=True, help_text="When voc got it.")
    rating = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True, help_text="e.g. CSAT 1-5")
    nps_score = models.PositiveSmallIntegerField("NPS score", null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="logged_feedback"
    )
    # The theme of its first unit that has one, kept here for lists and filters; the item belongs to every theme
    # its units joined (FeedbackUnit), and the ranking counts it in each.
    theme = models.ForeignKey(
        "themes.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="items",
        help_text="The theme of its first themed unit; see its units for every theme it raised.",
    )
    # Which splitter (voc.feedback.units.UNITS_VERSION) cut its units; 0: not split yet, one unit of the whole text.
    units_version = models.PositiveSmallIntegerField(default=0)
    # The whole item's feeling, from its units and any survey score; shown beside scores, never part of them.
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True, help_text="-1 (negative) to 1 (positive).")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="feedback_unique_source_external_id"),
            models.CheckConstraint(condition=Q(nps_score__lte=10), name="feedback_nps_score_0_to_10"),
        ]
        indexes = [
            models.Index(fields=["account", "-occurred_at"], name="feedback_account_recent_idx"),
            models.Index(fields=["source", "-occurred_at"], name="feedback_source_recent_idx"),
            models.Index(fields=["-occurred_at"], name="feedback_recent_idx"),
            # The sweeper and the re-resolver look only at the few rows still waiting.
            models.Index(
                fields=["received_at"], name="feedback_pending_idx", condition=Q(status="pending")
            ),
            models.Index(fields=["id"], name="feedback_unresolved_idx", condition=Q(account__isnull=True)),
            models.Index(fields=["theme", "-occurred_at"], name="feedback_theme_recent_idx"),
            models.Index(fields=["sentiment", "-occurred_at"], name="feedback_sentiment_recent_idx"),
        ]

    def __str__(self):
        return self.title or self.text[:80]


class FeedbackUnit(models.Model):
    """One problem an item raises (voc.feedback.units): a span of its text, embedded and given a theme of its own."""

    class ThemeAssignedBy(models.TextChoices):
        CLUSTERING = "clustering", "Clustering"
        NEAREST = "nearest", "Nearest theme"
        PERSON = "person", "A person"  # never moved by the engine afterwards

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveSmallIntegerField(help_text="0 for the item's first unit.")
    # Where the unit stands in the item's text; None when its words are not there verbatim (an HTML body), and
    # then `text` holds them. Otherwise `text` is empty, so a unit costs no second copy of the feedback.
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    embedding = models.ForeignKey(
        "themes.Embedding", null=True, blank=True, on_delete=models.SET_NULL, related_name="units"
    )
    theme = models.ForeignKey("themes.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="units")
    theme_similarity = models.FloatField(null=True, blank=True)
    theme_assigned_by = models.CharField(max_length=20, choices=ThemeAssignedBy.choices, blank=True)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True, help_text="-1 (negative) to 1 (positive).")
    competitors = models.ManyToManyField(Competitor, blank=True, related_name="units")

    class Meta:
        ordering = ["item", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "position"], name="feedback_unit_unique_position")]
        indexes = [
            # The ranking adds a theme's units up per item; the theme page lists them.
            models.Index(fields=["theme", "item"], name="feedback_unit_theme_idx"),
        ]

    def __str__(self):
        return self.words[:80]

    @property
    def words(self) -> str:
        """What the customer wrote in this unit."""
        if self.start is None:
            return self.text
        return self.item.text[self.start : self.end]


class SyncRun(models.Model):
    """One sync of a connector source: what it fetched and how it ended."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="sync_runs")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    pages = models.PositiveIntegerField(default=0)
    items_new = models.PositiveIntegerField(default=0)
    items_updated = models.PositiveIntegerField(default=0)
    items_failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["source", "-started_at"], name="sync_run_source_recent_idx")]

    def __str__(self):
        return f"{self.source} sync {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class WebhookDelivery(models.Model):
    """A verified push from a provider, stored raw before it is parsed, so that a parser bug loses nothing."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="webhook_deliveries")
    # The provider's delivery id, or a digest of the signed request: a replay has the same key and is refused.
    key = models.CharField(max_length=128)
    body = models.BinaryField()
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    items_new = models.PositiveIntegerField(default=0)
    items_updated = models.PositiveIntegerField(default=0)
    items_failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="webhook_delivery_unique_key")]

    def __str__(self):
        return f"{self.source} delivery {self.key[:12]} ({self.status})"
