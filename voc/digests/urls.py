from django.urls import path

from voc.digests import views

urlpatterns = [
    path("digests/unsubscribe/<str:token>/", views.unsubscribe, name="digest-unsubscribe"),
]
