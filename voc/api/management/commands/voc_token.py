from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from voc.api.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for (default: %(default)s).")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; a token for it would be refused.")
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters.")
        token, key = api_token_create(user=user, name=name)
        # The token alone on stdout, so scripts can capture it; the note goes to stderr.
        self.stdout.write(key)
        self.stderr.write(f"Created token {token.prefix}… ({name!r}) for {username}. It is shown only this once.")
