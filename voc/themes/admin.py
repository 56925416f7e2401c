from django.contrib import admin, messages

from voc.themes.models import ClusterRun, ProductArea, Theme, ThemeEvent
from voc.themes.tasks import themes_recluster_task


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "owner"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["owner"]


class ThemeEventInline(admin.TabularInline):
    model = ThemeEvent
    fk_name = "theme"
    fields = ["created_at", "kind", "other_theme", "items_moved", "run"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["display_name", "size", "status", "locked", "product_area", "updated_at"]
    list_filter = ["status", "locked", "product_area"]
    list_select_related = ["product_area"]
    search_fields = ["name", "human_name", "keywords"]
    fields = [
        "name", "human_name", "status", "locked", "product_area", "tracker_url", "keywords",
        "representative_item_ids", "size", "merged_into", "retired_at",
    ]
    readonly_fields = ["name", "keywords", "representative_item_ids", "size", "merged_into", "retired_at"]
    inlines = [ThemeEventInline]
    show_full_result_count = False
    actions = ["recluster_now"]

    def get_queryset(self, request):
        # The centroid is 1.5 KB of binary per theme that no page shows.
        return super().get_queryset(request).defer("centroid")

    @admin.action(description="Re-cluster all feedback now (themes keep their ids, names and locks)")
    def recluster_now(self, request, queryset):
        themes_recluster_task.delay()
        self.message_user(request, "Re-clustering started; themes update when it finishes.", messages.SUCCESS)


@admin.register(ClusterRun)
class ClusterRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "started_at", "finished_at", "status", "items", "themes", "unsorted", "model_version"]
    list_filter = ["status"]
    exclude = ["model"]
    readonly_fields = [
        "started_at", "finished_at", "status", "model_version", "items", "themes", "unsorted", "params", "error",
    ]

    def has_add_permission(self, request):
        return False
