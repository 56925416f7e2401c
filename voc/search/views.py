"""The more-like-this page: the feedback nearest by meaning to an item, a unit, a theme or free text."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from voc.search.forms import SimilarForm
from voc.search.selectors import DUPLICATE_DAYS, RESULTS, similar_lookup

MISSING = {"item": "No feedback item #{}.", "unit": "No feedback unit #{}.", "theme": "No theme #{}."}


@require_GET
@login_required
@permission_required("feedback.view_feedbackitem", raise_exception=True)
def similar_page(request):
    form = SimilarForm(request.GET)
    context = {"form": form, "results_max": RESULTS, "duplicate_days": DUPLICATE_DAYS}
    if not form.is_valid():
        return render(request, "search/similar.html", context, status=400)
    source = form.cleaned_data["source"]
    if source is None:
        return render(request, "search/similar.html", context)
    data = form.cleaned_data
    lookup = similar_lookup(
        item_id=data["item"], unit_id=data["unit"], theme_id=data["theme"], text=data["q"],
        duplicates=data["duplicates"],
    )
    if lookup is None:
        context["missing"] = MISSING[source].format(data[source])
        return render(request, "search/similar.html", context, status=404)
    return render(request, "search/similar.html", context | {"lookup": lookup})
