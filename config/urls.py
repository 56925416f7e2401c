from django.contrib import admin
from django.urls import include, path

from voc.accounts import admin_views as account_admin_views
from voc.core import views as core_views
from voc.core.ratelimit import login_rate_limited
from voc.ranking import views as ranking_views

urlpatterns = [
    path("health/", core_views.health, name="health"),
    path("", core_views.home, name="home"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    # The PM's ranked themes live inside the admin (its login, look and navigation), before its catch-all URLs.
    path("admin/ranking/", admin.site.admin_view(ranking_views.ranked_list), name="ranking-list"),
    path("admin/ranking/<int:theme_id>/", admin.site.admin_view(ranking_views.theme_explain), name="ranking-theme"),
    path(
        "admin/accounts/account/<int:account_id>/voice/",
        admin.site.admin_view(account_admin_views.account_voice),
        name="account-voice",
    ),
    # The only login page: failed attempts are counted, and past the limit answered 429 (voc/core/ratelimit.py);
    # asked for no page in particular, it lands on voc's home, not the admin index.
    path("admin/login/", login_rate_limited(core_views.login)),
    path("admin/", admin.site.urls),
    path("api/", include("voc.api.urls")),
    path("accounts/", include("voc.accounts.urls")),
    path("", include("voc.digests.urls")),
    path("", include("voc.feedback.urls")),
    path("", include("voc.search.urls")),
]
