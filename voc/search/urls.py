from django.urls import path

from voc.search import views

app_name = "search"

urlpatterns = [
    path("similar/", views.similar_page, name="similar"),
]
