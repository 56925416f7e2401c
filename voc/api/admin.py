from django.contrib import admin, messages
from django.utils.translation import ngettext

from voc.api.models import ApiToken
from voc.api.services import api_token_create, api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    raw_id_fields = ["user"]
    actions = ["revoke"]
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name"]
        return ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "prefix", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = api_token_create(user=obj.user, name=obj.name)
        # The admin goes on with `obj` (log entry, redirect), so it takes on the row the service created.
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        self.message_user(
            request,
            f"New token for {token.user}: {key} — copy it now; it is not stored and will not be shown again.",
            messages.SUCCESS,
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(api_token_revoke(token=token) for token in queryset.filter(revoked_at__isnull=True))
        self.message_user(
            request, ngettext("Revoked %d token.", "Revoked %d tokens.", revoked) % revoked, messages.SUCCESS
        )
