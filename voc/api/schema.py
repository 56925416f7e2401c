"""OpenAPI description of the token authentication (registered by ApiConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class HashedTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "voc.api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer voc_…`. Tokens come from the admin or `manage.py voc_token`.",
        }
