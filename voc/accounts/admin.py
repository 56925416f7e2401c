from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from voc.accounts.models import Account, AccountDomain, Contact
from voc.feedback.tasks import feedback_reresolve_task


class AccountDomainInline(admin.TabularInline):
    model = AccountDomain
    extra = 1


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "name", "arr", "arr_currency", "plan_tier", "segment", "region", "lifecycle_stage", "crm_id", "voice_link",
    ]
    list_filter = ["plan_tier", "segment", "region", "lifecycle_stage"]
    search_fields = ["name", "crm_id", "domains__domain"]
    raw_id_fields = ["owner"]
    inlines = [AccountDomainInline]
    show_full_result_count = False
    actions = ["reresolve_unresolved_feedback"]
    # The change form links to the same page from templates/admin/accounts/account/change_form.html.

    @admin.display(description="Feedback and themes")
    def voice_link(self, account):
        # Only the row's own id goes into the link, so the list stays one query however many rows it shows.
        return format_html('<a href="{}">Feedback and themes</a>', reverse("account-voice", args=[account.pk]))

    @admin.action(description="Re-resolve unresolved feedback against accounts and contacts")
    def reresolve_unresolved_feedback(self, request, queryset):
        feedback_reresolve_task.delay()
        self.message_user(request, "Re-resolution of unresolved feedback started.", messages.SUCCESS)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "twitter_handle", "reddit_handle", "account"]
    list_select_related = ["account"]
    search_fields = ["name", "email", "twitter_handle", "reddit_handle"]
    raw_id_fields = ["account"]
    show_full_result_count = False
