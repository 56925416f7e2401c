from django.urls import path

from voc.accounts import views

app_name = "accounts"

urlpatterns = [
    path("autocomplete/", views.account_autocomplete, name="autocomplete"),
]
