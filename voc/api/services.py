"""Writes for API tokens."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from voc.api.models import ApiToken


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with the plain key, which is never stored and cannot be shown again."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[: ApiToken._meta.get_field("prefix").max_length],
        key_hash=ApiToken.hash_key(key),
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke a token; returns False if it was already revoked (the first revocation time is kept)."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return bool(updated)
