"""REST API views: HTTP in and out only; records are validated and stored by feedback_ingest_batch."""

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, status
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from voc.api.exceptions import BadRequest, RequestTooLarge, api_exception_handler
from voc.api.parsers import JSONBodyParser
from voc.api.renderers import SafeJSONRenderer
from voc.api.serializers import (
    API_SOURCE_NAME,
    ErrorSerializer,
    FeedbackBatchRequestSerializer,
    FeedbackItemSerializer,
    FeedbackListParamsSerializer,
    FeedbackListSerializer,
    FeedbackSingleRequestSerializer,
    IngestResponseSerializer,
)
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.search import feedback_newest, feedback_search
from voc.feedback.selectors import feedback_get
from voc.feedback.services import IngestResult, IngestStatus, feedback_ingest_batch, source_get_or_create

BATCH_KEYS = frozenset({"source", "items"})
SHAPE_HINT = 'Send one item as a JSON object, or a batch as {"source": "<source name>", "items": [...]}.'
SINGLE_STATUS = {
    IngestStatus.CREATED: status.HTTP_201_CREATED,
    IngestStatus.DUPLICATE: status.HTTP_200_OK,
    IngestStatus.REJECTED: status.HTTP_400_BAD_REQUEST,
}


class FeedbackPermission(DjangoModelPermissions):
    """Signed in, and holding the model permission: view_feedbackitem to read, add_feedbackitem to send."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class ApiView(APIView):
    parser_classes = [JSONBodyParser]
    renderer_classes = [SafeJSONRenderer]
    permission_classes = [IsAuthenticated, FeedbackPermission]

    def get_exception_handler(self):
        return api_exception_handler


_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="No token or session, or a revoked token."),
    403: OpenApiResponse(ErrorSerializer, description="Signed in without the needed permission."),
}


class FeedbackIngestView(ApiView):
    """The feedback collection: POST sends feedback in, GET lists and searches it."""

    queryset = FeedbackItem.objects.all()

    @extend_schema(
        operation_id="feedback_ingest",
        tags=["feedback"],
        summary="Send feedback: one item, or a batch",
        description=(
            "One item is a record object, optionally with `source`; the answer is 201 (created), 200 (duplicate, "
            "with the existing id) or 400 (rejected, with the errors). A batch is `{\"source\": ..., \"items\": "
            f"[...]}}` with at most {settings.VOC_API_MAX_BATCH:,} items; it is answered 200 with one result per "
            "item, and a bad item never stops the others. Items are stored under an existing source, by "
            f"default '{API_SOURCE_NAME}'. Requires the feedback.add_feedbackitem permission."
        ),
        request=PolymorphicProxySerializer(
            component_name="FeedbackIngestRequest",
            serializers=[FeedbackSingleRequestSerializer, FeedbackBatchRequestSerializer],
            resource_type_field_name=None,
        ),
        responses={
            200: OpenApiResponse(IngestResponseSerializer, description="A batch, or a single duplicate item."),
            201: OpenApiResponse(IngestResponseSerializer, description="A single item, created."),
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="FeedbackIngestBadRequest",
                    serializers=[ErrorSerializer, IngestResponseSerializer],
                    resource_type_field_name=None,
                ),
                description="The request as a whole is refused, with a `detail` message: malformed JSON, an empty "
                "body, unknown batch keys, an unknown source or too many items. Or a single item was rejected: "
                "the answer is then the usual results, whose `errors` say why.",
            ),
            **_ERRORS,
            413: OpenApiResponse(
                ErrorSerializer,
                description=f"The body is over {settings.VOC_API_MAX_BODY_BYTES:,} bytes.",
            ),
            415: OpenApiResponse(ErrorSerializer, description="The body is not application/json."),
        },
        examples=[
            OpenApiExample(
                "One item",
                request_only=True,
                value={"external_id": "T-1042", "kind": "ticket", "text": "Exports time out on big workspaces.",
                       "author_email": "ana@customer.example", "occurred_at": "2025-03-02T09:15:00Z"},
            ),
            OpenApiExample(
                "A batch",
                request_only=True,
                value={"source": "api", "items": [{"external_id": "S-1", "kind": "survey", "text": "Love it",
                                                   "nps_score": 9}]},
            ),
            OpenApiExample(
                "Batch answer",
                response_only=True,
                status_codes=["200"],
                value={
                    "source": "api",
                    "counts": {"created": 1, "duplicate": 1, "rejected": 1},
                    "results": [
                        {"index": 0, "status": "created", "id": 51, "external_id": "S-1"},
                        {"index": 1, "status": "duplicate", "id": 7, "external_id": "S-0"},
                        {"index": 2, "status": "rejected", "errors": {"text": "is empty"}},
                    ],
                },
            ),
        ],
    )
    def post(self, request):
        _check_declared_size(request)
        source_name, records, is_batch = _unpack(request.data)
        source = _source_named(source_name)
        results = feedback_ingest_batch(source=source, records=records, logged_by=request.user)
        body = {"source": source.name, "counts": _counts(results), "results": [r.as_dict() for r in results]}
        if is_batch:
            return Response(body, status=status.HTTP_200_OK)
        result = results[0]
        headers = {}
        if result.status == IngestStatus.CREATED:
            headers["Location"] = reverse("api:feedback-detail", kwargs={"item_id": result.item_id})
        return Response(body, status=SINGLE_STATUS[result.status], headers=headers)


    @extend_schema(
        operation_id="feedback_list",
        tags=["feedback"],
        summary="List or search feedback",
        description=(
            "Without `q`: the newest items first. With `q`: a full-text search of titles and texts, best match first, "
            "each result with `rank`, `title_highlighted` and `snippet` (HTML: the text escaped, the matches in "
            "<mark>). Either way narrowed by the filters, 20 a page, up to 1,000 items (`count_capped` says when "
            "more match: narrow with words or filters). Requires the feedback.view_feedbackitem permission."
        ),
        parameters=[FeedbackListParamsSerializer],
        responses={
            200: FeedbackListSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="A parameter is invalid, the source is unknown, or `q` holds nothing to search for "
                "(only operators, or only -exclusions); `detail` says which.",
            ),
            **_ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="The page is past the last one."),
        },
    )
    def get(self, request):
        params = FeedbackListParamsSerializer(data=request.query_params)
        if not params.is_valid():
            raise BadRequest(_params_problem(params.errors))
        data = params.validated_data
        filters = {
            "theme_id": data.get("theme"), "account_id": data.get("account"), "segment": data.get("segment", ""),
            "source_id": _source_filtered(data["source"]) if "source" in data else None,
            "since": data.get("since"), "until": data.get("until"), "sentiment": data.get("sentiment", ""),
        }
        if data.get("q"):
            results = feedback_search(query=data["q"], page=data["page"], **filters)
            if results.problem:
                raise BadRequest(results.problem)
        else:
            results = feedback_newest(page=data["page"], **filters)
        page = results.page
        if page.number != data["page"]:
            raise exceptions.NotFound(f"Page {data['page']} is past the last page ({page.paginator.num_pages}).")
        url = request.build_absolute_uri()
        body = {
            "count": results.count, "count_capped": results.capped, "page": page.number,
            "pages": page.paginator.num_pages,
            "next": replace_query_param(url, "page", page.next_page_number()) if page.has_next() else None,
            "previous": replace_query_param(url, "page", page.previous_page_number()) if page.has_previous() else None,
            "query": results.query, "notes": list(results.notes), "results": results.hits,
        }
        return Response(FeedbackListSerializer(body).data)


class FeedbackDetailView(ApiView):
    queryset = FeedbackItem.objects.all()

    @extend_schema(
        operation_id="feedback_retrieve",
        tags=["feedback"],
        summary="One feedback item",
        description="Requires the feedback.view_feedbackitem permission.",
        responses={
            200: FeedbackItemSerializer,
            **_ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="No item has this id."),
        },
    )
    def get(self, request, item_id: int):
        item = feedback_get(item_id=item_id)
        if item is None:
            raise exceptions.NotFound(f"No feedback item has id {item_id}.")
        return Response(FeedbackItemSerializer(item).data)


@csrf_exempt  # it changes nothing; a POST would otherwise get Django's HTML CSRF page instead of this answer
def api_path_unknown(request):
    """404 as JSON, like every other answer of the API, for a path under /api/v1/ that names nothing."""
    return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)


def _source_filtered(name: str) -> int:
    source_id = Source.objects.filter(name=name).values_list("pk", flat=True).first()
    if source_id is None:
        # Refused rather than answered with no items: a typo in a name should not read as "no feedback".
        raise BadRequest(f"There is no source named {name!r}.")
    return source_id


def _params_problem(errors: dict) -> str:
    """DRF's errors per query parameter, as one sentence a person can act on."""
    return "Invalid query parameters: " + "; ".join(
        f"{name}: {' '.join(str(message) for message in messages)}" for name, messages in errors.items()
    )


def _check_declared_size(request) -> None:
    # Refuse from the header, before anything reads the body.
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        size = int(declared)
    except ValueError:
        raise BadRequest("The Content-Length header is not a number.")
    if size > settings.VOC_API_MAX_BODY_BYTES:
        raise RequestTooLarge(size)
    if size <= 0:
        raise BadRequest(f"The request body is empty. {SHAPE_HINT}")


def _unpack(payload) -> tuple[str | None, list, bool]:
    """(source name or None, records, is_batch) from the request body."""
    if not isinstance(payload, dict):
        raise BadRequest(f"Expected a JSON object, got {_json_type(payload)}. {SHAPE_HINT}")
    if "items" not in payload:
        record = dict(payload)
        return _source_name(record.pop("source", None)), [record], False
    unknown = sorted(str(key) for key in payload if key not in BATCH_KEYS)
    if unknown:
        raise BadRequest(
            f"Unknown key(s) in the batch: {', '.join(unknown)}. A batch has only 'source' and 'items'; "
            "record fields go inside each item."
        )
    items = payload["items"]
    if not isinstance(items, list):
        raise BadRequest(f"'items' must be a list of objects, got {_json_type(items)}.")
    limit = settings.VOC_API_MAX_BATCH
    if len(items) > limit:
        raise BadRequest(f"A batch holds at most {limit:,} items; this one has {len(items):,}. Split it up.")
    return _source_name(payload.get("source")), items, True


def _source_name(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("'source' must be the name of a source, as text.")
    return value.strip()


def _source_named(name: str | None) -> Source:
    if name is None or name == API_SOURCE_NAME:
        return source_get_or_create(name=API_SOURCE_NAME, kind=Source.Kind.API)
    source = Source.objects.filter(name=name).first()
    if source is None:
        # The API never creates sources: a typo would otherwise scatter feedback across look-alike sources.
        raise BadRequest(
            f"There is no source named {name!r}. Ask an admin to create it, or leave out 'source' to use "
            f"'{API_SOURCE_NAME}'."
        )
    return source


def _counts(results: list[IngestResult]) -> dict[str, int]:
    counts = {IngestStatus.CREATED: 0, IngestStatus.DUPLICATE: 0, IngestStatus.REJECTED: 0}
    for result in results:
        counts[result.status] += 1
    return counts


def _json_type(value) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__
