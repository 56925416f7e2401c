from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from voc.accounts.models import Account
from voc.digests.models import DigestDelivery, DigestSubscription
from voc.digests.rendering import digest_render, unsubscribe_url
from voc.digests.selectors import DigestFilters, digest_build
from voc.digests.services import delivery_attempt, delivery_retry, delivery_test_create


class DigestSubscriptionForm(forms.ModelForm):
    segments = forms.MultipleChoiceField(
        choices=Account.Segment.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Only feedback from accounts in these segments; none means all.",
    )
    tiers = forms.MultipleChoiceField(
        choices=Account.Tier.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Only feedback from accounts on these plan tiers; none means all.",
    )
    hour = forms.TypedChoiceField(
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)], coerce=int, initial=8,
        help_text="In the subscription's time zone.",
    )

    class Meta:
        model = DigestSubscription
        fields = ["recipient", "recipient_name", "product_areas", "segments", "tiers", "day_of_week", "hour",
                  "timezone", "active", "send_when_quiet"]


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    form = DigestSubscriptionForm
    list_display = ["recipient", "schedule", "scope", "active", "send_when_quiet", "last_delivery"]
    list_filter = ["active", "day_of_week", "product_areas"]
    search_fields = ["recipient", "recipient_name"]
    filter_horizontal = ["product_areas"]
    readonly_fields = ["tools", "unsubscribed_at", "created_at", "created_by"]
    actions = ["send_test_now", "pause", "resume"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:subscription_id>/preview/", view(self.preview_view), name="digests_subscription_preview"),
            path("<int:subscription_id>/send-test/", view(self.send_test_view), name="digests_subscription_send_test"),
            *super().get_urls(),
        ]

    def get_queryset(self, request):
        weekly = DigestDelivery.objects.filter(subscription=OuterRef("pk"), kind=DigestDelivery.Kind.WEEKLY)
        latest = weekly.order_by("-week")
        return (
            super().get_queryset(request).prefetch_related("product_areas")
            .annotate(last_week=Subquery(latest.values("week")[:1]), last_status=Subquery(latest.values("status")[:1]))
        )

    @admin.display(description="When")
    def schedule(self, subscription):
        return f"{subscription.get_day_of_week_display()} {subscription.hour:02d}:00 {subscription.timezone}"

    @admin.display(description="About")
    def scope(self, subscription):
        return DigestFilters.of(subscription).label

    @admin.display(description="Last delivery")
    def last_delivery(self, subscription):
        if not getattr(subscription, "last_week", None):
            return "—"
        return f"{subscription.last_week:%G-W%V}: {DigestDelivery.Status(subscription.last_status).label}"

    @admin.display(description="Digest")
    def tools(self, subscription):
        if subscription.pk is None:
            return "Save first; then you can preview it and send a test."
        return format_html(
            '<a class="button" href="{}" target="_blank" rel="noopener">Preview this week’s digest</a> '
            '<button type="submit" class="button" formaction="{}" formmethod="post" name="_send_test">'
            "Send a test now</button>",
            reverse("admin:digests_subscription_preview", args=[subscription.pk]),
            reverse("admin:digests_subscription_send_test", args=[subscription.pk]),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if obj.active:
            obj.unsubscribed_at = None
        super().save_model(request, obj, form, change)

    def preview_view(self, request, subscription_id: int):
        """The digest as it would go out now, images inline; ?format=text gives the plain-text part."""
        subscription = get_object_or_404(DigestSubscription, pk=subscription_id)
        if not self.has_view_permission(request, subscription):
            raise PermissionDenied
        rendered = digest_render(
            digest_build(filters=DigestFilters.of(subscription)), unsubscribe_url=unsubscribe_url(subscription),
            inline_images=False, time_zone=subscription.timezone,
        )
        if request.GET.get("format") == "text":
            return HttpResponse(rendered.text, content_type="text/plain; charset=utf-8")
        return HttpResponse(rendered.html)

    def send_test_view(self, request, subscription_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        subscription = get_object_or_404(DigestSubscription, pk=subscription_id)
        if not self.has_change_permission(request, subscription):
            raise PermissionDenied
        self._send_test(request, subscription)
        return HttpResponseRedirect(reverse("admin:digests_digestsubscription_change", args=[subscription.pk]))

    @admin.action(description="Send a test digest now", permissions=["change"])
    def send_test_now(self, request, queryset):
        for subscription in queryset:
            self._send_test(request, subscription)

    def _send_test(self, request, subscription: DigestSubscription) -> None:
        delivery = delivery_attempt(delivery_test_create(subscription, user=request.user).pk)
        if delivery.status == DigestDelivery.Status.SENT:
            self.message_user(request, f"Test digest sent to {delivery.recipient}.", messages.SUCCESS)
        else:
            self.message_user(
                request, f"The test digest to {delivery.recipient} was not sent: {delivery.error}. "
                "It is retried with backoff; see Digest deliveries.", messages.ERROR,
            )

    @admin.action(description="Pause the selected subscriptions", permissions=["change"])
    def pause(self, request, queryset):
        self.message_user(request, f"Paused {queryset.update(active=False)} subscriptions.", messages.SUCCESS)

    @admin.action(description="Resume the selected subscriptions", permissions=["change"])
    def resume(self, request, queryset):
        # Someone who unsubscribed through the link stays out of a bulk resume; ticking "active" on their page is
        # a deliberate choice to add them back.
        resumed = queryset.filter(unsubscribed_at__isnull=True).update(active=True)
        left = queryset.filter(unsubscribed_at__isnull=False).count()
        note = f" {left} who unsubscribed themselves stay unsubscribed." if left else ""
        self.message_user(request, f"Resumed {resumed} subscriptions.{note}", messages.SUCCESS)


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every digest claimed, sent, retried, skipped or failed, and why."""

    list_display = ["created_at", "kind", "recipient", "week_label", "status", "attempts", "sent_at", "resend",
                    "error_short"]
    list_filter = ["status", "kind", "resend", "week"]
    search_fields = ["recipient", "message_id", "subject"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # The list never shows the sent text; the page of one delivery does.
        return queryset.defer("text_body") if request.resolver_match.url_name.endswith("changelist") else queryset

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Week", ordering="week")
    def week_label(self, delivery):
        return f"{delivery.week:%G-W%V}"

    @admin.display(description="Error or reason")
    def error_short(self, delivery):
        return delivery.error[:120]

    @admin.action(description="Retry the selected failed deliveries", permissions=["change"])
    def retry(self, request, queryset):
        retried = [delivery_retry(delivery) for delivery in queryset.filter(status=DigestDelivery.Status.FAILED)]
        self.message_user(
            request, f"{len(retried)} failed deliveries will be tried again within five minutes.", messages.SUCCESS
        )
