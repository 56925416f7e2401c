from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from voc.api import views

app_name = "api"

urlpatterns = [
    path("v1/feedback", views.FeedbackIngestView.as_view(), name="feedback-ingest"),
    path("v1/feedback/<int:item_id>", views.FeedbackDetailView.as_view(), name="feedback-detail"),
    # Login or token required (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]).
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
