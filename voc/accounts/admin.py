from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from voc.accounts.models import Account, AccountDomain, Contact
from voc.core.money import money
from voc.feedback.tasks import feedback_reresolve_task


class AccountDomainFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A tabular inline shows its labels once, as column headers: each row's inputs are named for screen readers.
        form.fields["domain"].widget.attrs["aria-label"] = "Domain"
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = "Delete this domain"


class AccountDomainInline(admin.TabularInline):
    model = AccountDomain
    formset = AccountDomainFormSet
    extra = 1


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    # What a PM or CS person tells accounts apart by; the CRM id stays searchable and on the form.
    list_display = ["name", "annual_revenue", "tier", "segment", "region", "lifecycle", "voice_link"]
    list_filter = ["plan_tier", "segment", "region", "lifecycle_stage"]
    search_fields = ["name", "crm_id", "domains__domain"]
    raw_id_fields = ["owner"]
    inlines = [AccountDomainInline]
    show_full_result_count = False
    actions = ["reresolve_unresolved_feedback"]
    # The change form links to the same page from templates/admin/accounts/account/change_form.html.

    @admin.display(description="ARR", ordering="arr")
    def annual_revenue(self, account):
        # One column in the one money format: "$2,623,000", never a raw decimal beside its currency code.
        return money(account.arr, account.arr_currency)

    @admin.display(description="Tier", ordering="plan_tier")
    def tier(self, account):
        return account.get_plan_tier_display() or "—"

    @admin.display(description="Lifecycle", ordering="lifecycle_stage")
    def lifecycle(self, account):
        return account.get_lifecycle_stage_display()

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
    list_display = ["__str__", "email", "handles", "account"]
    list_select_related = ["account"]
    search_fields = ["name", "email", "twitter_handle", "reddit_handle"]
    raw_id_fields = ["account"]
    show_full_result_count = False

    @admin.display(description="Handles")
    def handles(self, contact):
        # One column for the social handles: most contacts have one or none, and two near-empty columns crowd the list.
        names = [f"@{contact.twitter_handle} on X" if contact.twitter_handle else "",
                 f"u/{contact.reddit_handle} on Reddit" if contact.reddit_handle else ""]
        return ", ".join(name for name in names if name) or "—"
