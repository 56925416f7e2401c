from django.db import models


class ThemeWeek(models.Model):
    """One theme's figures for one week (Monday to Sunday, UTC), kept so that trends survive re-clustering."""

    theme = models.ForeignKey("themes.Theme", on_delete=models.CASCADE, related_name="weeks")
    week = models.DateField(help_text="The Monday the week starts on.")
    theme_name = models.CharField(max_length=200, help_text="The theme's name when the week was computed.")
    mentions = models.PositiveIntegerField(default=0)
    accounts = models.PositiveIntegerField(default=0)
    arr = models.DecimalField("ARR", max_digits=16, decimal_places=2, default=0)
    score = models.FloatField(default=0)
    low = models.FloatField(default=0)
    high = models.FloatField(default=0)
    loudness = models.FloatField(default=0)
    spike = models.BooleanField(default=False, help_text="Far above the theme's own trailing weeks.")
    # The week's units measured negative, neutral and positive (voc.ranking.sentiment): beside the score, never in it.
    negative = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    positive = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["theme", "week"]
        constraints = [models.UniqueConstraint(fields=["theme", "week"], name="theme_week_unique")]
        indexes = [models.Index(fields=["week", "-score"], name="theme_week_by_score_idx")]

    def __str__(self):
        return f"{self.theme_name} {self.week:%G-W%V}"


class ThemeRanking(models.Model):
    """A theme's place in the ranking over one period, as of the last refresh: what the ranked list reads."""

    period_days = models.PositiveSmallIntegerField()
    # "" for all feedback, or one filter on accounts or sources, e.g. "segment=enterprise" or "source_kind=reddit".
    slice = models.CharField(max_length=120, blank=True, default="")
    theme = models.ForeignKey("themes.Theme", on_delete=models.CASCADE, related_name="rankings")
    rank = models.PositiveIntegerField()
    rank_by_mentions = models.PositiveIntegerField()
    score = models.FloatField()
    low = models.FloatField()
    high = models.FloatField()
    change = models.FloatField(help_text="Score minus the score of the same period ending a week earlier.")
    change_4_weeks = models.FloatField(help_text="Score minus the score of the same period ending four weeks earlier.")
    accounts = models.PositiveIntegerField()
    arr = models.DecimalField("ARR", max_digits=16, decimal_places=2)
    mentions = models.PositiveIntegerField()
    loudness = models.FloatField()
    too_little_evidence = models.BooleanField()
    # Beside the score, never in it: the period's units measured negative, neutral and positive
    # (voc.ranking.sentiment), and the competitors they name, {"<competitor id>": {"accounts": 8, "mentions": 11}}.
    negative = models.PositiveIntegerField(default=0)
    neutral = models.PositiveIntegerField(default=0)
    positive = models.PositiveIntegerField(default=0)
    competitors = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["period_days", "slice", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["period_days", "slice", "theme"], name="theme_ranking_unique")
        ]
        indexes = [models.Index(fields=["period_days", "slice", "rank"], name="theme_ranking_by_rank_idx")]

    def __str__(self):
        return f"#{self.rank} {self.theme_id} over {self.period_days} days {self.slice}".rstrip()
