from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from voc.api import views

app_name = "api"

urlpatterns = [
    path("v1/feedback", views.FeedbackIngestView.as_view(), name="feedback-ingest"),
    path("v1/feedback/<int:item_id>", views.FeedbackDetailView.as_view(), name="feedback-detail"),
    # Last under v1: any other path (an id that is not a number, say) is answered as JSON, not Django's HTML page.
    re_path(r"^v1/", views.api_path_unknown),
    # Login or token required (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]).
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
