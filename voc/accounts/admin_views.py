"""An account's voice inside the admin: the themes its feedback touches and everything it has said."""

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from voc.accounts.models import Account
from voc.accounts.selectors import (
    UNTHEMED,
    account_feedback,
    account_feedback_themes,
    account_themes,
    account_value,
)
from voc.ranking.scoring import WeightPolicy
from voc.ranking.views import DEFAULT_PERIOD, PERIODS

FEEDBACK_PER_PAGE = 50


@permission_required("accounts.view_account", raise_exception=True)
def account_voice(request, account_id: int):
    account = get_object_or_404(Account, pk=account_id)
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else DEFAULT_PERIOD
    selected_theme = request.GET.get("theme", "")
    policy = WeightPolicy.from_settings()
    themes = account_themes(account=account, period_days=PERIODS[period], policy=policy)
    page = Paginator(account_feedback(account=account, theme=selected_theme), FEEDBACK_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "admin/accounts/account_voice.html",
        admin.site.each_context(request)
        | {
            "title": f"{account.name}: feedback and themes",
            "account": account,
            "opts": Account._meta,
            "value": account_value(account=account, policy=policy),
            "period": period,
            "period_days": PERIODS[period],
            "periods": PERIODS.items(),
            "themes": themes,
            "total_contribution": sum(row.contribution.weight for row in themes),
            "page": page,
            "theme_choices": account_feedback_themes(account=account),
            "selected_theme": selected_theme,
            "unthemed": UNTHEMED,
        },
    )
