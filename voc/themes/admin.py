from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.html import format_html_join

from voc.themes.curation import theme_changes_record, theme_merge, theme_split, theme_split_proposal
from voc.themes.models import ClusterRun, Curation, ProductArea, Theme, ThemeEvent
from voc.themes.selectors import theme_quotes
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


class CurationInline(admin.TabularInline):
    model = Curation
    fields = ["created_at", "user", "action", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Audit trail"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["display_name", "size", "status", "emerging", "locked", "product_area", "updated_at"]
    list_filter = ["status", "emerging", "locked", "product_area"]
    list_select_related = ["product_area"]
    search_fields = ["name", "human_name", "keywords"]
    fields = [
        "name", "human_name", "status", "locked", "product_area", "tracker_url", "keywords",
        "quotes", "size", "emerging", "merged_into", "retired_at",
    ]
    readonly_fields = ["name", "keywords", "quotes", "size", "emerging", "merged_into", "retired_at"]
    inlines = [ThemeEventInline, CurationInline]
    show_full_result_count = False
    actions = ["merge_themes", "split_theme", "recluster_now"]
    # Offered only to people who may change themes; posting one anyway is refused rather than ignored.
    curation_actions = {"merge_themes", "split_theme", "recluster_now"}

    @admin.display(description="Representative quotes")
    def quotes(self, theme):
        return format_html_join(
            "", "<blockquote>{}</blockquote>", ((unit.words[:300],) for unit in theme_quotes(theme=theme))
        ) or "None yet"

    def get_queryset(self, request):
        # The centroid is 1.5 KB of binary per theme that no page shows.
        return super().get_queryset(request).defer("centroid")

    def changelist_view(self, request, extra_context=None):
        # Here rather than in response_action: with no action open to them, Django would not even look at it.
        if request.POST.get("action") in self.curation_actions and not self.has_change_permission(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        before = {field: form.initial.get(field) for field in form.changed_data} if change else {}
        super().save_model(request, obj, form, change)
        if change:
            after = {field: form.cleaned_data.get(field) for field in form.changed_data}
            changes = {field: (before[field], after[field]) for field in form.changed_data}
            theme_changes_record(theme=obj, changed=changes, user=request.user)

    @admin.action(description="Merge selected themes into one…", permissions=["change"])
    def merge_themes(self, request, queryset):
        themes = list(queryset)
        if len(themes) < 2:
            self.message_user(request, "Select at least two themes to merge.", messages.WARNING)
            return None
        target_id = request.POST.get("target")
        if target_id:
            target = next((theme for theme in themes if str(theme.pk) == target_id), None)
            if target is None:
                self.message_user(request, "Merge into one of the selected themes.", messages.ERROR)
                return None
            moved = theme_merge(sources=themes, target=target, user=request.user)
            self.message_user(
                request, f"Merged {len(themes) - 1} themes into “{target}” ({moved} items moved).", messages.SUCCESS
            )
            return None
        return TemplateResponse(
            request,
            "admin/themes/merge_themes.html",
            self.admin_site.each_context(request)
            | {
                "title": "Merge themes", "themes": themes, "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Split selected theme by re-clustering its members…", permissions=["change"])
    def split_theme(self, request, queryset):
        themes = list(queryset[:2])
        if len(themes) != 1:
            self.message_user(request, "Select exactly one theme to split.", messages.WARNING)
            return None
        [theme] = themes
        try:
            if request.POST.get("confirm"):
                kept, *new_themes = theme_split(theme=theme, user=request.user)
            else:
                parts = theme_split_proposal(theme=theme)
        except ValueError as error:
            self.message_user(request, f"Cannot split: {error}.", messages.ERROR)
            return None
        if request.POST.get("confirm"):
            names = ", ".join(f"“{new}” ({new.size})" for new in new_themes)
            self.message_user(
                request, f"Split “{kept}”: it keeps {kept.size} items; new themes {names}.", messages.SUCCESS
            )
            return None
        return TemplateResponse(
            request,
            "admin/themes/split_theme.html",
            self.admin_site.each_context(request)
            | {
                "title": f"Split “{theme}”",
                "theme": theme,
                "parts": parts,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(
        description="Re-cluster all feedback now (themes keep their ids, names and locks)", permissions=["change"]
    )
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
