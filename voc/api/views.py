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
from rest_framework.views import APIView

from voc.api.exceptions import BadRequest, RequestTooLarge, api_exception_handler
from voc.api.parsers import JSONBodyParser
from voc.api.renderers import SafeJSONRenderer
from voc.api.serializers import (
    API_SOURCE_NAME,
    ErrorSerializer,
    FeedbackBatchRequestSerializer,
    FeedbackItemSerializer,
    FeedbackSingleRequestSerializer,
    IngestResponseSerializer,
)
from voc.feedback.models import FeedbackItem, Source
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
