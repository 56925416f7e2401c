from django.contrib import admin
from django.urls import path

from voc.core import views as core_views

urlpatterns = [
    path("health/", core_views.health, name="health"),
    path("", core_views.home, name="home"),
    path("admin/", admin.site.urls),
]
