"""Request-level API errors, all answered as {"detail": "..."} JSON."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.views import exception_handler


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."
    default_code = "bad_request"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, size: int | None = None):
        limit = settings.VOC_API_MAX_BODY_BYTES
        size_text = f"is {size:,} bytes" if size is not None else "is too large"
        super().__init__(
            f"The request body {size_text}; the limit is {limit:,} bytes. Send the items in smaller batches."
        )


def api_exception_handler(exc, context):
    """DRF's handler, plus the Django errors that would otherwise become HTML pages or a bare 400."""
    if isinstance(exc, RequestDataTooBig):
        # Django's own guard (DATA_UPLOAD_MAX_MEMORY_SIZE) when the body is read.
        exc = RequestTooLarge()
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        exc = exceptions.UnsupportedMediaType(
            exc.detail, detail=f"{exc.detail} Send JSON with the header 'Content-Type: application/json'."
        )
    return exception_handler(exc, context)
