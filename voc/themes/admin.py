from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Value
from django.db.models.functions import Coalesce, NullIf
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

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
    fields = ["created_at", "what_happened", "run"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-created_at"]
    verbose_name = "lineage event"
    verbose_name_plural = "Lineage"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="What happened")
    def what_happened(self, event):
        return event.sentence


class CurationInline(admin.TabularInline):
    model = Curation
    fields = ["created_at", "user", "what_was_done"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Audit trail"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="What was done")
    def what_was_done(self, curation):
        return curation.summary


class ThemeForm(forms.ModelForm):
    """One name a PM sets; the engine's suggestion stands beside it, and is what pages show while it is blank."""

    class Meta:
        model = Theme
        fields = ["human_name", "status", "locked", "product_area", "tracker_url"]
        labels = {"human_name": "Name", "tracker_url": "Tracker link"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A user who may only view a theme gets every field read-only, so the form holds none of them.
        if "human_name" in self.fields:
            # The model keeps two fields so re-clustering may rename its own suggestion without touching a PM's name.
            suggestion = self.instance.name if self.instance.pk else ""
            self.fields["human_name"].widget.attrs.update(placeholder=suggestion, size=50)
            self.fields["human_name"].help_text = (
                f"What every page and digest calls this theme. Left blank, voc's suggestion “{suggestion}” is used, "
                "and re-clustering may change it; a name you set is kept." if suggestion else
                "What every page and digest calls this theme; a name you set is kept through re-clustering."
            )
        if "tracker_url" in self.fields:
            self.fields["tracker_url"].help_text = (
                "The ticket or epic where the work is planned, e.g. in Jira or Linear."
            )


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    form = ThemeForm
    list_display = ["display_name", "items", "status", "product_area", "flags"]
    list_display_links = ["display_name"]
    list_filter = ["status", "emerging", "locked", "product_area"]
    list_select_related = ["product_area"]
    search_fields = ["name", "human_name", "keywords"]
    fieldsets = [
        (None, {"fields": ["human_name", "suggested_name", "status", "product_area", "tracker_url", "locked"]}),
        ("What customers say", {"fields": ["items", "keyword_chips", "quotes"]}),
        ("History", {"fields": ["lifecycle"]}),
    ]
    readonly_fields = ["suggested_name", "items", "keyword_chips", "quotes", "lifecycle"]
    inlines = [ThemeEventInline, CurationInline]
    show_full_result_count = False
    actions = ["merge_themes", "split_theme", "recluster_now"]
    # Offered only to people who may change themes; posting one anyway is refused rather than ignored.
    curation_actions = {"merge_themes", "split_theme", "recluster_now"}

    @admin.display(description="Name", ordering=Coalesce(NullIf("human_name", Value("")), "name"))
    def display_name(self, theme):
        return theme.display_name

    @admin.display(description="Suggested by voc")
    def suggested_name(self, theme):
        return theme.name or "—"

    @admin.display(description="Items", ordering="size")
    def items(self, theme):
        return _items(theme.size)

    @admin.display(description="Flags")
    def flags(self, theme):
        flags = [
            (label, title) for shown, label, title in (
                (theme.emerging, "Emerging", "Gathered since the last re-clustering, which adopts or dissolves it"),
                (theme.locked, "Locked", "The clusterer leaves its members alone"),
                (theme.retired_at, "Retired", "Merged into another theme or ended by re-clustering"),
            ) if shown
        ]
        return format_html_join(" ", '<span class="badge" title="{1}">{0}</span>', flags) or "—"

    @admin.display(description="Keywords")
    def keyword_chips(self, theme):
        chips = format_html_join("", '<li class="chip">{}</li>', ((keyword,) for keyword in theme.keywords or []))
        return format_html('<ul class="chips">{}</ul>', chips) if chips else "None yet"

    @admin.display(description="Representative quotes")
    def quotes(self, theme):
        return format_html_join("", "{}", ((_quote(unit),) for unit in theme_quotes(theme=theme))) or "None yet"

    @admin.display(description="Lifecycle")
    def lifecycle(self, theme):
        if theme.merged_into_id:
            target = theme.merged_into
            link = format_html('<a href="{}">{}</a>', reverse("admin:themes_theme_change", args=[target.pk]), target)
            return format_html("Merged into {} on {}", link, _day(theme.retired_at))
        if theme.retired_at:
            return f"Retired on {_day(theme.retired_at)}"
        if theme.emerging:
            return "Emerging: gathered from unsorted feedback; the next re-clustering adopts or dissolves it"
        return "Live"

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
            merged = ngettext("%(count)d theme", "%(count)d themes", len(themes) - 1) % {"count": len(themes) - 1}
            self.message_user(
                request, f"Merged {merged} into “{target}” ({_items(moved)} moved).", messages.SUCCESS
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
            names = ", ".join(f"“{new}” ({_items(new.size)})" for new in new_themes)
            label = ngettext("new theme", "new themes", len(new_themes))
            self.message_user(
                request, f"Split “{kept}”: it keeps {_items(kept.size)}; {label} {names}.", messages.SUCCESS
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


def _items(count: int) -> str:
    return ngettext("%(count)d item", "%(count)d items", count) % {"count": count}


def _quote(unit) -> str:
    """A representative unit as a quote, with who said it and when, linked to the whole feedback."""
    item = unit.item
    said_by = item.account.name if item.account_id else "Unresolved account"
    link = format_html('<a href="{}">feedback #{}</a>', reverse("feedback:detail", args=[item.pk]), item.pk)
    return format_html(
        '<blockquote class="quote">{}<footer>{} · {} · {}</footer></blockquote>',
        unit.words[:300], said_by, _day(item.occurred_at), link,
    )


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "j M Y")


@admin.register(ClusterRun)
class ClusterRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "started_at", "finished_at", "status", "items", "themes", "unsorted", "model_version"]
    list_filter = ["status"]
    exclude = ["model"]
    readonly_fields = [
        "started_at", "finished_at", "status", "model_version", "items", "themes", "unsorted", "params", "error",
    ]
    # What a run did first; the engine's model and chosen parameters are for whoever tunes it.
    fieldsets = [
        (None, {"fields": ["started_at", "finished_at", "status", "items", "themes", "unsorted", "error"]}),
        ("Technical details", {"classes": ["collapse"], "fields": ["model_version", "params"]}),
    ]

    def has_add_permission(self, request):
        return False
