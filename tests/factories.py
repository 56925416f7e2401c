import datetime as dt
from decimal import Decimal

import factory
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.utils import timezone

from voc.accounts.models import Account, AccountDomain, Contact
from voc.core.roles import roles_sync
from voc.feedback.models import Competitor, FeedbackItem, FeedbackUnit, Source
from voc.feedback.records import content_hash
from voc.feedback.units import UNITS_VERSION


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@voc.example")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            if not Group.objects.filter(name=role).exists():
                # A transactional test before this one flushed the groups the migration made.
                roles_sync(django_apps)
            self.groups.add(Group.objects.get(name=role))
        if create:
            self.save()


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    arr = Decimal("50000.00")
    plan_tier = Account.Tier.GROWTH
    segment = Account.Segment.MID_MARKET


class AccountDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountDomain

    account = factory.SubFactory(AccountFactory)
    domain = factory.Sequence(lambda n: f"company{n}.example")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@company.example")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"source-{n}")
    kind = Source.Kind.API


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competitor
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Rival {n}")
    aliases = factory.LazyFunction(list)


CLUSTERING = FeedbackUnit.ThemeAssignedBy.CLUSTERING


class FeedbackItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedbackItem

    source = factory.SubFactory(SourceFactory)
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    kind = FeedbackItem.Kind.TICKET
    text = factory.Sequence(lambda n: f"My card has not arrived yet ({n})")
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    content_hash = factory.LazyAttribute(lambda item: content_hash(item.text))

    @classmethod
    def _create(cls, model_class, *args, units=True, embedding=None, theme_assigned_by="", **kwargs):
        """A processed, themed or embedded item gets one unit of its whole text, in its theme and with the embedding
        given, as processing would give it; units=False for none."""
        item = super()._create(model_class, *args, **kwargs)
        if units and (item.theme_id or embedding or item.status == FeedbackItem.Status.PROCESSED):
            FeedbackUnit.objects.create(
                item=item, position=0, start=0, end=len(item.text), theme_id=item.theme_id, embedding=embedding,
                theme_assigned_by=theme_assigned_by or (CLUSTERING if item.theme_id else ""),
            )
            FeedbackItem.objects.filter(pk=item.pk).update(units_version=UNITS_VERSION)
            item.units_version = UNITS_VERSION
        return item
