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
