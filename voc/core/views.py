from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from voc.core.home import CS, PM, home_role, pm_home_read
from voc.feedback.views import feedback_log


@require_GET
def health(request):
    """The one page without login: says whether the database answers, for load balancers and compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links; they get voc's icon (an SVG), not a 404."""
    with open(finders.find("core/favicon.svg"), "rb") as icon:
        response = HttpResponse(icon.read(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
@login_required
def home(request):
    """Each person's first page: this week at a glance for a PM, the log form for customer success (voc.core.home)."""
    role = home_role(request.user)
    if role == CS:
        # The log page itself, at /: what customer success comes here to do, with no redirect on the way.
        return feedback_log(request)
    if role == PM:
        return render(request, "core/home_pm.html", {"home": pm_home_read()})
    return render(request, "core/home.html")


def login(request):
    """The admin's login page, which lands on voc's home rather than the admin index when no page asked for one."""
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        request.GET = request.GET.copy()
        request.GET[REDIRECT_FIELD_NAME] = reverse("home")
    return admin.site.login(request)
