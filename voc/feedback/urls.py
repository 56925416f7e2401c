from django.urls import path

from voc.feedback import views

app_name = "feedback"

urlpatterns = [
    path("log/", views.feedback_log, name="log"),
    path("feedback/", views.feedback_list_page, name="list"),
    path("feedback/<int:item_id>/", views.feedback_detail, name="detail"),
    path("webhooks/<int:source_id>/", views.webhook_receive_view, name="webhook"),
]
