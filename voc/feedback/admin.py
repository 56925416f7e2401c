from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models.functions import Substr
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from voc.feedback.forms import FeedbackAdminAddForm
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.selectors import PREVIEW_CHARS
from voc.feedback.services import IngestStatus, feedback_account_set, feedback_ingest
from voc.feedback.tasks import feedback_reresolve_task


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "reliability_weight", "last_synced_at", "last_error"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]


# Shown, never edited: they come from the source, or from processing.
FEEDBACK_READONLY_FIELDS = [
    "source", "external_id", "text", "text_truncated", "url", "author_email", "author_handle", "author_name",
    "contact", "resolved_by", "occurred_at", "received_at", "rating", "nps_score", "language", "metadata",
    "content_hash", "status", "attempts", "last_error", "processed_at", "logged_by",
]
FEEDBACK_ADD_FIELDS = [
    "account", "kind", "source", "title", "text", "author_email", "occurred_at", "idempotency_key",
]


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ["summary", "kind", "source", "account", "occurred_at", "status"]
    list_filter = ["kind", "status", "source", "resolved_by"]
    list_select_related = ["source", "account"]
    search_fields = ["external_id", "title", "author_email", "author_handle"]
    raw_id_fields = ["account", "contact", "logged_by"]
    show_full_result_count = False
    actions = ["reresolve_accounts"]
    add_form = FeedbackAdminAddForm
    fieldsets = [
        (None, {"fields": ["title", "text", "kind", "account"]}),
        ("Who and when", {"fields": ["author_name", "author_email", "author_handle", "contact", "resolved_by",
                                     "occurred_at", "received_at", "logged_by"]}),
        ("Source", {"fields": ["source", "external_id", "url", "rating", "nps_score", "language", "metadata"]}),
        ("Processing", {"fields": ["status", "attempts", "last_error", "processed_at", "text_truncated",
                                   "content_hash"]}),
    ]

    def get_queryset(self, request):
        # Texts run to VOC_MAX_TEXT_CHARS; the list needs only their start.
        return (
            super().get_queryset(request).defer("text").annotate(text_preview=Substr("text", 1, PREVIEW_CHARS))
        )

    @admin.display(description="Feedback", ordering="title")
    def summary(self, item):
        return item.title or item.text_preview[:80]

    def action_checkbox(self, item):
        # The stock checkbox labels itself with str(item), which would load each row's deferred text.
        attrs = {"class": "action-select", "aria-label": f"Select feedback #{item.pk} for an action"}
        return forms.CheckboxInput(attrs, lambda value: False).render(helpers.ACTION_CHECKBOX_NAME, str(item.pk))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": FEEDBACK_ADD_FIELDS})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else FEEDBACK_READONLY_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            if "account" in form.changed_data:
                feedback_account_set(item=obj, account=obj.account)
            super().save_model(request, obj, form, change)
            return
        result = feedback_ingest(
            source=form.cleaned_data["source"],
            record=form.record(),
            account=form.cleaned_data["account"],
            logged_by=request.user,
        )
        # The add form already ran record_clean with this record, so the service accepts it or finds it stored.
        obj.pk = result.item_id
        obj._state.adding = False
        obj.refresh_from_db()
        obj.ingest_status = result.status

    def log_addition(self, request, obj, message):
        if getattr(obj, "ingest_status", None) == IngestStatus.DUPLICATE:
            return None  # nothing was added
        return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "ingest_status", None) == IngestStatus.DUPLICATE:
            self.message_user(
                request,
                format_html("Already logged: {} (nothing new was created).", obj),
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:feedback_feedbackitem_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Re-resolve accounts for the selected items")
    def reresolve_accounts(self, request, queryset):
        item_ids = list(queryset.filter(account__isnull=True).values_list("pk", flat=True))
        feedback_reresolve_task.delay(item_ids)
        self.message_user(request, f"Re-resolving {len(item_ids)} unresolved item(s).", messages.SUCCESS)
