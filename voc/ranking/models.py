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
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["theme", "week"]
        constraints = [models.UniqueConstraint(fields=["theme", "week"], name="theme_week_unique")]
        indexes = [models.Index(fields=["week", "-score"], name="theme_week_by_score_idx")]

    def __str__(self):
        return f"{self.theme_name} {self.week:%G-W%V}"
