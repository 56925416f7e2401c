from django.conf import settings
from django.db import models


class ProductArea(models.Model):
    """A part of the product that themes and digests are routed to."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="product_areas"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Embedding(models.Model):
    """A pre-processed text's vector under one model; identical texts share one row, so they are embedded once."""

    text_hash = models.CharField(max_length=64)
    model_version = models.CharField(max_length=200)
    # float32, L2-normalised; 384 dimensions for the default model (1.5 KB).
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["text_hash", "model_version"], name="embedding_unique_text_model")
        ]

    def __str__(self):
        return f"{self.text_hash[:12]} ({self.model_version})"


class ClusterRun(models.Model):
    """One full re-clustering: what it saw, what it chose and why."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    model_version = models.CharField(max_length=200)
    items = models.PositiveIntegerField(default=0, help_text="Feedback units clustered.")
    themes = models.PositiveIntegerField(default=0)
    unsorted = models.PositiveIntegerField(default=0)
    # The chosen parameters, and which theme each cluster of the model became.
    params = models.JSONField(default=dict, blank=True)
    # The fitted ThemeModel (voc.themes.clustering), used to assign new units between runs.
    model = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Run {self.pk} ({self.status})"


class Theme(models.Model):
    """A recurring customer problem: a cluster of feedback with a stable identity across re-clustering."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        UNDER_REVIEW = "under_review", "Under review"
        PLANNED = "planned", "Planned"
        SHIPPED = "shipped", "Shipped"
        WONT_DO = "wont_do", "Won't do"

    # Written by the engine on every run; human_name, once set, wins and is never overwritten.
    name = models.CharField(max_length=200)
    human_name = models.CharField(max_length=200, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    # Feedback units (FeedbackUnit ids), best first: the quotes its page and the digest show.
    representative_unit_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    locked = models.BooleanField(default=False, help_text="The clusterer leaves a locked theme's members alone.")
    emerging = models.BooleanField(
        default=False,
        help_text="Gathered from unsorted feedback between re-clusters; the next re-cluster adopts or dissolves it.",
    )
    product_area = models.ForeignKey(
        ProductArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="themes"
    )
    tracker_url = models.URLField(max_length=500, blank=True)
    centroid = models.BinaryField(null=True, blank=True)
    size = models.PositiveIntegerField(default=0)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged")
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-size", "pk"]
        indexes = [models.Index(fields=["retired_at", "-size"], name="theme_live_by_size_idx")]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.human_name or self.name


class ThemeEvent(models.Model):
    """Lineage: how a theme came to be what it is."""

    class Kind(models.TextChoices):
        BORN = "born", "Born"
        GREW = "grew", "Grew"
        SHRANK = "shrank", "Shrank"
        MERGED_INTO = "merged_into", "Merged into"
        SPLIT_FROM = "split_from", "Split from"
        RETIRED = "retired", "Retired"

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    other_theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    items_moved = models.IntegerField(default=0)
    run = models.ForeignKey(ClusterRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.theme} {self.kind}"


class Curation(models.Model):
    """The audit trail of what people did to themes: who, what, when."""

    class Action(models.TextChoices):
        RENAME = "rename", "Renamed"
        MERGE = "merge", "Merged"
        MOVE_ITEMS = "move_items", "Moved items"
        STATUS = "status", "Status set"
        LOCK = "lock", "Locked or unlocked"
        PRODUCT_AREA = "product_area", "Product area set"
        TRACKER = "tracker", "Tracker linked"
        SPLIT = "split", "Split"

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="curations")
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="theme_curations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} {self.theme}"
