from django.contrib import admin

from voc.themes.models import ProductArea


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "owner"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["owner"]
