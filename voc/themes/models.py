from django.conf import settings
from django.db import models
from django.utils.translation import ngettext


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
        return f"{self.theme}: {self.sentence}"

    @property
    def sentence(self) -> str:
        """What happened to its theme, in words: "Born with 101 items", "Merged into “Card delivery” (3 items)"."""
        items = _items(self.items_moved)
        other = f"“{self.other_theme.display_name}”" if self.other_theme_id and self.other_theme else "another theme"
        match self.kind:
            case self.Kind.BORN:
                return f"Born with {items}"
            case self.Kind.GREW:
                return f"Grew by {items}"
            case self.Kind.SHRANK:
                return f"Shrank by {items}"
            case self.Kind.MERGED_INTO:
                return f"Merged into {other} ({items})"
            case self.Kind.SPLIT_FROM:
                return f"Split from {other} ({items})"
            case _:
                return "Retired" + (f" ({items})" if self.items_moved else "")

    @property
    def sentence_for_other(self) -> str:
        """The same event told on the other theme's page: "“Card limits” merged into this theme (3 items)"."""
        name = f"“{self.theme.display_name}”"
        items = _items(self.items_moved)
        if self.kind == self.Kind.MERGED_INTO:
            return f"{name} merged into this theme ({items})"
        if self.kind == self.Kind.SPLIT_FROM:
            return f"{name} split from this theme ({items})"
        return f"{name}: {self.sentence[0].lower()}{self.sentence[1:]}"


def _items(count: int) -> str:
    return ngettext("%(count)d item", "%(count)d items", count) % {"count": count}


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

    @property
    def summary(self) -> str:
        """What the person did, in words, from the detail the curation services record (voc.themes.curation)."""
        detail = self.detail or {}
        if self.action == self.Action.MERGE:
            merged = [f"“{theme['name']}”" for theme in detail.get("merged", [])]
            return f"Merged {', '.join(merged) or 'other themes'} into this theme ({_items(detail.get('items', 0))})"
        if self.action == self.Action.SPLIT:
            parts = [f"“{part['name']}” ({_items(part['items'])})" for part in detail.get("parts", [])]
            return f"Split off {', '.join(parts) or 'new themes'}; {_items(detail.get('kept', 0))} stayed"
        if self.action == self.Action.MOVE_ITEMS:
            return f"Moved {_items(len(detail.get('items', [])))} into this theme by hand"
        if "field" in detail:
            field = detail["field"]
            label = CURATED_FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
            before, after = detail.get("before"), detail.get("after")
            if field == "status":  # stored as the value ("under_review"); shown as the label people chose
                labels = dict(Theme.Status.choices)
                before, after = labels.get(before, before), labels.get(after, after)
            return f"{label}: {_shown(before)} → {_shown(after)}"
        return self.get_action_display()


# How the theme's page labels the fields a person edits, for the audit trail's sentences.
CURATED_FIELD_LABELS = {
    "human_name": "Name", "status": "Status", "locked": "Locked", "product_area": "Product area",
    "tracker_url": "Tracker link",
}


def _shown(value) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"“{value}”" if isinstance(value, str) else str(value)
