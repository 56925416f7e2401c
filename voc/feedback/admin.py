from django.contrib import admin, messages

from voc.feedback.models import FeedbackItem, Source
from voc.feedback.tasks import feedback_reresolve_task


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "reliability_weight", "last_synced_at", "last_error"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "source", "account", "occurred_at", "status"]
    list_filter = ["kind", "status", "source", "resolved_by"]
    list_select_related = ["source", "account"]
    search_fields = ["external_id", "title", "author_email", "author_handle"]
    raw_id_fields = ["account", "contact", "logged_by"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    actions = ["reresolve_accounts"]

    @admin.action(description="Re-resolve accounts for the selected items")
    def reresolve_accounts(self, request, queryset):
        item_ids = list(queryset.filter(account__isnull=True).values_list("pk", flat=True))
        feedback_reresolve_task.delay(item_ids)
        self.message_user(request, f"Re-resolving {len(item_ids)} unresolved item(s).", messages.SUCCESS)
