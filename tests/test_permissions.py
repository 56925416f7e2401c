"""Who may do what: every page, for every role and method, answers with the status in this matrix.

Customer-success and Product people are staff (they sign in on the admin login page) but hold only their
group's permissions; "admin" is a staff user in the Admin group; "superuser" bypasses permissions. The client
enforces CSRF as a browser session would: every POST carries the token, and one without it is refused.
"""

import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from tests.factories import AccountFactory, FeedbackItemFactory, UserFactory
from voc.core.roles import ADMIN, CUSTOMER_SUCCESS, PRODUCT
from voc.digests.models import DigestSubscription
from voc.feedback.forms import manual_source
from voc.themes.models import Theme

ROLES = ["anonymous", "customer_success", "product", "admin", "superuser"]
LOGIN = "login"  # a redirect to the login page
OK, DONE, FORBIDDEN = 200, 302, 403  # DONE: a redirect after a successful POST
CREATED, UNAUTHORIZED = 201, 401  # the API answers anonymous callers 401 instead of redirecting
BAD = 400  # a link that is not valid, refused with its own page

# method, URL ({item}, {account}, {theme} and {subscription} are filled in), then the answer for each of ROLES in order.
# fmt: off
MATRIX = [
    # method  URL                                         anonymous  CS         Product    Admin  superuser
    ("GET",  "/health/",                                 OK,        OK,        OK,        OK,    OK),
    ("GET",  "/",                                        LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/log/",                                    LOGIN,     OK,        FORBIDDEN, OK,    OK),
    ("POST", "/log/",                                    LOGIN,     DONE,      FORBIDDEN, DONE,  DONE),
    ("GET",  "/feedback/",                               LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/feedback/{item}/",                        LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/accounts/autocomplete/?q=acme",           LOGIN,     OK,        OK,        OK,    OK),
    # --- admin ---
    ("GET",  "/admin/",                                  LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/admin/feedback/feedbackitem/",            LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/admin/feedback/feedbackitem/{item}/change/", LOGIN,  OK,        OK,        OK,    OK),
    ("GET",  "/admin/feedback/feedbackitem/add/",        LOGIN,     OK,        FORBIDDEN, OK,    OK),
    ("GET",  "/admin/accounts/account/",                 LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/admin/accounts/account/add/",             LOGIN,     FORBIDDEN, FORBIDDEN, OK,    OK),
    ("GET",  "/admin/accounts/account/{account}/voice/", LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/admin/auth/user/",                        LOGIN,     FORBIDDEN, FORBIDDEN, OK,    OK),
    ("GET",  "/admin/feedback/syncrun/",                 LOGIN,     FORBIDDEN, OK,        OK,    OK),
    # Competitors: Product keeps the list; Customer success may read it.
    ("GET",  "/admin/feedback/competitor/",              LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/admin/feedback/competitor/add/",          LOGIN,     FORBIDDEN, OK,        OK,    OK),
    ("GET",  "/admin/ranking/",                          LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/admin/ranking/?export=csv",               LOGIN,     OK,        OK,        OK,    OK),
    ("GET",  "/admin/ranking/{theme}/",                  LOGIN,     OK,        OK,        OK,    OK),
    # Curation: Customer success may look at a theme but not change it; Product may.
    ("GET",  "/admin/themes/theme/{theme}/change/",      LOGIN,     OK,        OK,        OK,    OK),
    ("POST", "/admin/themes/theme/{theme}/change/",      LOGIN,     FORBIDDEN, DONE,      DONE,  DONE),
    # The split action; this theme has no vectors, so those allowed are told why it cannot split and sent back.
    ("POST", "/admin/themes/theme/",                     LOGIN,     FORBIDDEN, DONE,      DONE,  DONE),
    # Moving feedback to a theme is curation too.
    ("POST", "/admin/feedback/feedbackitem/",            LOGIN,     FORBIDDEN, DONE,      DONE,  DONE),
    # Digests: Product leads' subscriptions and the delivery log are Product's; Customer success has no part in them.
    ("GET",  "/admin/digests/digestsubscription/",       LOGIN,     FORBIDDEN, OK,        OK,    OK),
    ("GET",  "/admin/digests/digestsubscription/{subscription}/preview/",
                                                         LOGIN,     FORBIDDEN, OK,        OK,    OK),
    ("GET",  "/admin/digests/digestdelivery/",           LOGIN,     FORBIDDEN, OK,        OK,    OK),
    # The unsubscribe page needs no login (the signed link is the credential), so a bad link is 400 for everyone.
    ("GET",  "/digests/unsubscribe/not-a-signed-token/", BAD,       BAD,       BAD,       BAD,   BAD),
    # --- REST API ---
    ("GET",  "/api/schema/",                             UNAUTHORIZED, OK,     OK,        OK,    OK),
    ("GET",  "/api/v1/feedback/{item}",                  UNAUTHORIZED, OK,     OK,        OK,    OK),
    ("POST", "/api/v1/feedback",                         UNAUTHORIZED, CREATED, FORBIDDEN, CREATED, CREATED),
]
# fmt: on


def _log_post(context) -> dict:
    data = {
        "account": "Acme",
        "account_id": context["account"],
        "kind": "manual",
        "source": manual_source().pk,
        "text": "Permission matrix note",
        "occurred_at": timezone.localdate().isoformat(),
        "idempotency_key": str(uuid.uuid4()),
    }
    return {"data": data}


# Keyword arguments for the test client (data, content_type, headers) by (method, URL): a valid body, so that
# a role that is allowed gets past validation to the real answer. API rows may add their JSON and token here.
def _api_post(context) -> dict:
    return {"data": {"kind": "ticket", "text": "Permission matrix API note"}, "content_type": "application/json"}


def _theme_change_post(context) -> dict:
    inline = {f"{prefix}-{key}": "0" for prefix in ("events", "curations")
              for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS")}
    return {"data": {"human_name": "Renamed by a PM", "status": "under_review", "tracker_url": ""} | inline}


def _theme_split_post(context) -> dict:
    return {"data": {"action": "split_theme", "_selected_action": [context["theme"]], "confirm": "yes"}}


def _feedback_move_post(context) -> dict:
    return {"data": {"action": "move_to_theme", "_selected_action": [context["item"]], "theme": context["theme"]}}


REQUEST_KWARGS = {
    ("POST", "/log/"): _log_post,
    ("POST", "/api/v1/feedback"): _api_post,
    ("POST", "/admin/themes/theme/{theme}/change/"): _theme_change_post,
    ("POST", "/admin/themes/theme/"): _theme_split_post,
    ("POST", "/admin/feedback/feedbackitem/"): _feedback_move_post,
}

CASES = [
    pytest.param(method, url, role, expected, id=f"{method} {url} as {role}")
    for method, url, *answers in MATRIX
    for role, expected in zip(ROLES, answers, strict=True)
]


def _user_for(role: str):
    if role == "anonymous":
        return None
    if role == "superuser":
        return UserFactory(is_superuser=True)
    group = {"customer_success": CUSTOMER_SUCCESS, "product": PRODUCT, "admin": ADMIN}[role]
    return UserFactory(roles=[group])


def _context() -> dict:
    return {
        "item": FeedbackItemFactory().pk, "account": AccountFactory(name="Acme").pk,
        "theme": Theme.objects.create(name="Card delivery").pk,
        "subscription": DigestSubscription.objects.create(recipient="lead@voc.example").pk,
    }


def _with_csrf_token(client: Client, request_kwargs: dict) -> dict:
    """What a browser sends: the CSRF cookie, and the same secret in the form (or, for JSON, in the header)."""
    secret = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    if request_kwargs.get("content_type") == "application/json":
        return request_kwargs | {"headers": {"X-CSRFToken": secret}}
    return request_kwargs | {"data": request_kwargs.get("data", {}) | {"csrfmiddlewaretoken": secret}}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url", "role", "expected"), CASES)
def test_each_role_gets_the_expected_answer(method, url, role, expected):
    client = Client(enforce_csrf_checks=True)
    context = _context()
    user = _user_for(role)
    if user is not None:
        client.force_login(user)
    path = url.format(**context)
    request_kwargs = REQUEST_KWARGS[(method, url)](context) if (method, url) in REQUEST_KWARGS else {}
    if method == "POST":
        request_kwargs = _with_csrf_token(client, request_kwargs)
    response = getattr(client, method.lower())(path, **request_kwargs)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    else:
        assert response.status_code == expected
        if expected == DONE:
            assert not response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", [url for method, url, *answers in MATRIX if method == "POST" and answers[-1] in (DONE, CREATED)]
)
def test_a_post_without_the_csrf_token_is_refused_even_for_a_superuser(url):
    client = Client(enforce_csrf_checks=True)
    context = _context()
    client.force_login(UserFactory(is_superuser=True))
    request_kwargs = REQUEST_KWARGS[("POST", url)](context) if ("POST", url) in REQUEST_KWARGS else {}

    response = client.post(url.format(**context), **request_kwargs)

    assert response.status_code == FORBIDDEN
    assert b"CSRF" in response.content


def _admin_pages():
    """Every registered model's list and add pages, with what each role may do there by the declared roles."""
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        label, name = model._meta.app_label, model._meta.model_name
        for page, needs in (("", ("view", "change")), ("add/", ("add",))):
            yield pytest.param(f"/admin/{label}/{name}/{page}", label, name, needs, model_admin,
                               id=f"/admin/{label}/{name}/{page}")


def _may(role: str, app_label: str, model_name: str, actions: tuple[str, ...]) -> bool:
    from voc.core.roles import ADMIN_APPS, ROLE_PERMISSIONS

    if role == "superuser" or (role == "admin" and app_label in ADMIN_APPS):
        return True
    group = {"customer_success": CUSTOMER_SUCCESS, "product": PRODUCT}.get(role)
    return any((app_label, f"{action}_{model_name}") in ROLE_PERMISSIONS.get(group, []) for action in actions)


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "app_label", "model_name", "actions", "model_admin"), list(_admin_pages()))
@pytest.mark.parametrize("role", ROLES)
def test_every_admin_list_and_add_page_answers_each_role_as_its_permissions_say(
    client, url, app_label, model_name, actions, model_admin, role
):
    user = _user_for(role)
    if user is not None:
        client.force_login(user)

    response = client.get(url)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    elif url.endswith("add/") and not model_admin.has_add_permission(_request_as(user)):
        # Some models are never added by hand (logs, lineage); the admin refuses everyone.
        assert response.status_code == FORBIDDEN
    else:
        assert response.status_code == (OK if _may(role, app_label, model_name, actions) else FORBIDDEN)


def _request_as(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
