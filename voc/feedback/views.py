import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ingest.webhooks import WebhookRefused, webhook_receive
from voc.accounts.selectors import account_get, accounts_logged_recently
from voc.feedback.forms import FeedbackFilterForm, FeedbackLogForm, add_rejection, manual_source
from voc.feedback.models import Source
from voc.feedback.search import feedback_search
from voc.feedback.selectors import feedback_get, feedback_list, feedback_placement, feedback_themes_attach
from voc.feedback.services import IngestStatus, feedback_ingest
from voc.search.selectors import similar_duplicates

logger = logging.getLogger(__name__)

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("feedback.add_feedbackitem", raise_exception=True)
def feedback_log(request):
    """Log a note on a customer's behalf; after saving, an empty form for the next note on the same account."""
    default_source = manual_source()
    if request.method == "GET":
        form = FeedbackLogForm.for_next_note(request.GET, default_source=default_source)
        return _log_page(request, form)

    form = FeedbackLogForm(request.POST, default_source=default_source)
    if form.is_valid():
        result = feedback_ingest(
            source=form.cleaned_data["source"],
            record=form.record(),
            account=form.cleaned_data["account"],
            logged_by=request.user,
        )
        if result.status == IngestStatus.REJECTED:
            add_rejection(form, result.errors)
        else:
            link = format_html(
                '<a href="{}">feedback #{}</a>', reverse("feedback:detail", args=[result.item_id]), result.item_id
            )
            # Processed in-process by now without a broker; with workers it may still be pending, and says so.
            placement = feedback_placement(item_id=result.item_id)
            summary = format_html("{}{}", placement.summary, _duplicates_note(result.item_id))
            if result.status == IngestStatus.CREATED:
                messages.success(request, format_html("Logged: {} — {}", link, summary))
            else:
                messages.info(request, format_html("Already logged: {} — {}", link, summary))
            next_note = {
                "account": form.cleaned_data["account"].pk,
                "kind": form.cleaned_data["kind"],
                "source": form.cleaned_data["source"].pk,
            }
            return redirect(f"{reverse('feedback:log')}?{urlencode(next_note)}")
    return _log_page(request, form)


def _log_page(request, form: FeedbackLogForm):
    """The form, beside the accounts this person logged for lately, each a link to a new note for it."""
    recent = accounts_logged_recently(user=request.user)
    return render(request, "feedback/log.html", {"form": form, "recent_accounts": recent})


def _duplicates_note(item_id: int) -> str:
    """" · 3 similar items from this account this month", linked to them; empty when there are none."""
    try:
        count = len(similar_duplicates(item_id=item_id))
    except Exception:
        # The note is stored by now; a hint that cannot be computed must not turn its confirmation into an error.
        logger.exception("Looking up likely duplicates of feedback item %s failed", item_id)
        return ""
    if not count:
        return ""
    url = f"{reverse('search:similar')}?{urlencode({'item': item_id, 'duplicates': 1})}"
    return format_html(
        ' · <a href="{}">{} similar item{} from this account this month</a>', url, count, "" if count == 1 else "s"
    )


@require_GET
@login_required
@permission_required("feedback.view_feedbackitem", raise_exception=True)
def feedback_list_page(request):
    """The feedback list, newest first; with a search query, the matches best first (voc.feedback.search)."""
    filter_form = FeedbackFilterForm(request.GET)
    filters = filter_form.filters()
    account = account_get(account_id=filters["account_id"]) if filters["account_id"] else None
    context = {"filter_form": filter_form, "account": account}
    if filter_form.query:
        results = feedback_search(query=filter_form.query, page=request.GET.get("page"), **filters)
        feedback_themes_attach(items=[hit.item for hit in results.hits])
        context |= {"results": results, "page": results.page, "hits": results.hits}
    else:
        page = Paginator(feedback_list(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
        feedback_themes_attach(items=page.object_list)
        context |= {"page": page, "items": page.object_list}
    return render(request, "feedback/list.html", context)


@require_GET
@login_required
@permission_required("feedback.view_feedbackitem", raise_exception=True)
def feedback_detail(request, item_id: int):
    item = feedback_get(item_id=item_id)
    if item is None:
        raise Http404("No such feedback item.")
    placement = feedback_placement(item_id=item.pk)
    return render(
        request,
        "feedback/detail.html",
        {"item": item, "placement": placement, "text_parts": placement.text_parts(item.text)},
    )


@csrf_exempt  # a provider cannot hold a CSRF token; the HMAC signature is what authenticates it
@require_POST
def webhook_receive_view(request, source_id: int):
    """A provider's push: 202 when stored, 200 for a replay, 401 for a forged or stale one, which stores nothing."""
    source = Source.objects.filter(pk=source_id, enabled=True).first()
    if source is None:
        raise Http404("no enabled source with this id")
    try:
        received = webhook_receive(
            source=source, body=request.body, headers=request.headers, method=request.method,
            url=request.build_absolute_uri(),
        )
    except WebhookRefused as refused:
        logger.warning("webhook for %s refused: %s", source.name, refused)
        return JsonResponse({"detail": f"refused: {refused}"}, status=401)
    status = "duplicate" if received.duplicate else "accepted"
    return JsonResponse({"status": status, "delivery": received.delivery.pk}, status=200 if received.duplicate else 202)
