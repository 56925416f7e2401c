from django.contrib import admin
from django.urls import include, path

from voc.core import views as core_views

urlpatterns = [
    path("health/", core_views.health, name="health"),
    path("", core_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/", include("voc.api.urls")),
    path("accounts/", include("voc.accounts.urls")),
    path("", include("voc.feedback.urls")),
]
