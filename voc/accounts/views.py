from django.contrib.auth.decorators import login_required, permission_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from voc.accounts.selectors import accounts_choices

AUTOCOMPLETE_LIMIT = 10


@require_GET
@login_required
@permission_required("accounts.view_account", raise_exception=True)
def account_autocomplete(request):
    """Accounts matching ?q= by name, email domain or CRM id, for the account pickers."""
    return JsonResponse({"results": accounts_choices(query=request.GET.get("q", ""), limit=AUTOCOMPLETE_LIMIT)})
