from django.core import signing
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from voc.digests import services


# The signed token is the credential: no login, and no CSRF token, because mail providers' one-click unsubscribe
# (RFC 8058) POSTs here from outside. GET only asks, so link scanners that open URLs unsubscribe nobody.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        subscription = (
            services.unsubscribe(token) if request.method == "POST" else services.subscription_from_token(token)
        )
    except signing.BadSignature:
        return render(request, "digests/unsubscribe.html", {"invalid": True}, status=400)
    return render(
        request, "digests/unsubscribe.html",
        {"subscription": subscription, "done": request.method == "POST", "token": token},
    )
