"""Units are tagged with the competitors they name: whole words, any case, aliases too; past feedback in the
background when a competitor is added or renamed."""

import pytest

from tests.factories import AccountFactory, CompetitorFactory, FeedbackItemFactory, UserFactory
from voc.core.roles import PRODUCT
from voc.feedback.competitors import competitor_matcher, competitor_tag_past, competitors_tag
from voc.feedback.models import Competitor, FeedbackItem, FeedbackUnit, Source
from voc.feedback.pipeline import feedback_process_pending
from voc.feedback.services import feedback_ingest_batch, source_get_or_create
from voc.feedback.tasks import competitor_tag_past_task


def named(text: str, *competitors: Competitor) -> set[str]:
    """The names of the competitors the text names."""
    ids = competitor_matcher(competitors).competitor_ids(text)
    return {competitor.name for competitor in competitors if competitor.pk in ids}


def competitor(name: str, *aliases: str, pk: int) -> Competitor:
    """An unsaved competitor: matching needs only its names, and an id to report."""
    return Competitor(pk=pk, name=name, aliases=list(aliases))


ZENDESK = competitor("Zendesk", "ZD", "Zendesk Suite", pk=1)
ASANA = competitor("Asana", pk=2)
MONDAY = competitor("Monday.com", pk=3)
HUBSPOT = competitor("HubSpot", pk=4)
FIDER = competitor("Fider", pk=5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zendesk has had this for years", {"Zendesk"}),
        ("zendesk's macros do it", {"Zendesk"}),  # a possessive names the product
        ("ZENDESK-like views, please", {"Zendesk"}),
        ("we moved from #Zendesk", {"Zendesk"}),
        ("see zendesk.com/pricing", {"Zendesk"}),
        ("our zendesk_api script broke", set()),  # part of an identifier, not the product
        ("Zendesks everywhere", set()),
        ("Asana does this", {"Asana"}),
        ("my Asanas in yoga class", set()),  # a longer word is another word
        ("Monday.com shows a timeline", {"Monday.com"}),
        ("monday.com's boards", {"Monday.com"}),
        ("we meet every monday, come", set()),  # the dot is literal, not any character
        ("mondayXcom", set()),
        ("HubSpot syncs contacts", {"HubSpot"}),
        ("the hubspot integration", {"HubSpot"}),
        ("Fider lets users vote", {"Fider"}),
        ("Fiderer is a person", set()),
        ("Asana and Zendesk both do it", {"Asana", "Zendesk"}),
    ],
)
def test_a_name_matches_as_a_whole_word_in_any_case(text, expected):
    assert named(text, ZENDESK, ASANA, MONDAY, HUBSPOT, FIDER) == expected


def test_aliases_match_like_the_name():
    assert named("ZD handles it", ZENDESK) == {"Zendesk"}
    assert named("zd's triggers", ZENDESK) == {"Zendesk"}
    assert named("Our ZDX tool", ZENDESK) == set()


def test_a_space_in_a_name_matches_any_whitespace():
    suite_only = competitor("Zendesk", "Zendesk Suite", pk=9)
    assert competitor_matcher([suite_only]).pattern.search("the zendesk\n  suite plan") is not None


def test_where_two_names_overlap_the_longer_one_is_what_the_customer_wrote():
    weekday_tool = competitor("Monday", pk=11)
    assert named("Monday.com has automations", weekday_tool, MONDAY) == {"Monday.com"}
    assert named("Monday has automations", weekday_tool, MONDAY) == {"Monday"}


def test_names_are_matched_literally_whatever_punctuation_they_hold():
    plus = competitor("C++ Builder", pk=12)
    regexy = competitor("Help.(desk)*", pk=13)
    assert named("c++ builder does it", plus, regexy) == {"C++ Builder"}
    assert named("Help.(desk)* does it", plus, regexy) == {"Help.(desk)*"}
    assert named("Helpxdeskdesk does it", plus, regexy) == set()


def test_an_alias_shared_by_two_competitors_names_both():
    one, other = competitor("Acme Desk", "Acme", pk=21), competitor("Acme CRM", "Acme", pk=22)
    assert named("Acme does this", one, other) == {"Acme Desk", "Acme CRM"}


def test_no_competitors_match_nothing():
    assert competitor_matcher([]).competitor_ids("Zendesk") == set()


@pytest.mark.django_db
def test_units_just_stored_are_tagged_with_the_competitors_their_own_words_name():
    zendesk = CompetitorFactory(name="Zendesk", aliases=["ZD"])
    CompetitorFactory(name="Asana")
    item = FeedbackItemFactory(text="The export times out. Also, Zendesk exports big reports fine.", units=False)
    first = FeedbackUnit.objects.create(item=item, position=0, start=0, end=21)
    second = FeedbackUnit.objects.create(item=item, position=1, start=28, end=len(item.text))

    assert competitors_tag(units=[first, second]) == 1
    assert list(first.competitors.all()) == []
    assert list(second.competitors.all()) == [zendesk]


@pytest.mark.django_db
def test_processing_tags_the_units_that_name_a_competitor():
    zendesk = CompetitorFactory(name="Zendesk", aliases=["ZD"])
    source = source_get_or_create(name="Notes", kind=Source.Kind.MANUAL)
    feedback_ingest_batch(source=source, records=[
        {"external_id": "a", "text": "Zendesk lets agents merge tickets and we cannot merge them here."},
        {"external_id": "b", "text": "My card has not arrived after three weeks of waiting."},
    ])
    feedback_process_pending()

    naming = FeedbackUnit.objects.filter(competitors=zendesk)
    assert list(naming.values_list("item__external_id", flat=True)) == ["a"]


def past_unit(text: str, **fields) -> FeedbackUnit:
    item = FeedbackItemFactory(text=text, status=FeedbackItem.Status.PROCESSED, **fields)
    return item.units.get()


@pytest.mark.django_db(transaction=True)  # on PostgreSQL and SQLite alike: run the file with and without DATABASE_URL
def test_a_competitor_added_later_tags_past_feedback_in_chunks():
    units = [past_unit(f"Feedback {n}: plain words") for n in range(7)]
    naming = [past_unit("Asana's timeline does this"), past_unit("we left ASANA for you")]
    elsewhere = past_unit("an asanas class")  # holds the letters, not the word
    asana = CompetitorFactory(name="Asana")

    assert competitor_tag_past(competitor_id=asana.pk, chunk=3) == 2

    assert set(FeedbackUnit.objects.filter(competitors=asana)) == set(naming)
    assert not elsewhere.competitors.exists()
    assert not any(unit.competitors.exists() for unit in units)


@pytest.mark.django_db(transaction=True)
def test_a_unit_is_tagged_by_its_own_span_not_by_the_rest_of_its_item():
    item = FeedbackItemFactory(text="Export times out. Also Fider lets users vote.", units=False)
    FeedbackUnit.objects.create(item=item, position=0, start=0, end=17)
    voting = FeedbackUnit.objects.create(item=item, position=1, start=23, end=len(item.text))
    html = FeedbackItemFactory(text="<p>Fider lets users vote</p>", units=False)
    stripped = FeedbackUnit.objects.create(item=html, position=0, text="Fider lets users vote")
    fider = CompetitorFactory(name="Fider")

    assert competitor_tag_past(competitor_id=fider.pk) == 2
    assert set(FeedbackUnit.objects.filter(competitors=fider)) == {voting, stripped}


@pytest.mark.django_db(transaction=True)
def test_a_renamed_competitor_untags_units_that_no_longer_name_it():
    tagged_by_alias = past_unit("ZD does this")
    by_name = past_unit("Zendesk does this")
    zendesk = CompetitorFactory(name="Zendesk", aliases=["ZD"])
    competitor_tag_past(competitor_id=zendesk.pk)
    assert set(FeedbackUnit.objects.filter(competitors=zendesk)) == {tagged_by_alias, by_name}

    Competitor.objects.filter(pk=zendesk.pk).update(aliases=[])
    assert competitor_tag_past(competitor_id=zendesk.pk) == 1
    assert list(FeedbackUnit.objects.filter(competitors=zendesk)) == [by_name]


@pytest.mark.django_db
def test_the_past_task_tolerates_a_competitor_deleted_since():
    assert competitor_tag_past_task(987654) == 0


@pytest.mark.django_db
def test_the_past_task_tags_what_the_service_tags():
    unit = past_unit("HubSpot syncs contacts")
    hubspot = CompetitorFactory(name="HubSpot")
    assert competitor_tag_past_task(hubspot.pk) == 1
    assert list(unit.competitors.all()) == [hubspot]


@pytest.fixture
def product_client(client):
    client.force_login(UserFactory(roles=[PRODUCT]))
    return client


@pytest.mark.django_db
def test_adding_a_competitor_in_the_admin_stores_its_aliases_and_tags_past_feedback_on_commit(
    product_client, django_capture_on_commit_callbacks
):
    unit = past_unit("Zendesk Suite has SLAs", account=AccountFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = product_client.post(
            "/admin/feedback/competitor/add/", {"name": " Zendesk ", "aliases": "ZD,  zendesk suite , zd, , Zendesk"}
        )
    assert response.status_code == 302
    zendesk = Competitor.objects.get()
    assert (zendesk.name, zendesk.aliases) == ("Zendesk", ["ZD", "zendesk suite"])
    assert list(unit.competitors.all()) == [zendesk]

    page = product_client.get("/admin/feedback/competitor/").content.decode()
    assert "ZD, zendesk suite" in page
    change = product_client.get(f"/admin/feedback/competitor/{zendesk.pk}/change/").content.decode()
    assert 'value="ZD, zendesk suite"' in change


@pytest.mark.django_db
def test_saving_a_competitor_without_changing_its_names_tags_nothing_again(
    product_client, django_capture_on_commit_callbacks
):
    zendesk = CompetitorFactory(name="Zendesk", aliases=["ZD"])
    with django_capture_on_commit_callbacks() as callbacks:
        product_client.post(f"/admin/feedback/competitor/{zendesk.pk}/change/", {"name": "Zendesk", "aliases": "ZD"})
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        product_client.post(f"/admin/feedback/competitor/{zendesk.pk}/change/", {"name": "Zendesk", "aliases": ""})
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_name_without_letters_or_digits_is_refused(product_client):
    response = product_client.post("/admin/feedback/competitor/add/", {"name": "Zendesk", "aliases": "ZD, ..."})
    assert response.status_code == 200
    assert "has no letter or digit to match" in response.content.decode()
    assert not Competitor.objects.exists()


@pytest.mark.django_db
def test_the_competitor_list_counts_the_units_and_accounts_naming_each(product_client):
    zendesk = CompetitorFactory(name="Zendesk")
    account = AccountFactory()
    for text in ("Zendesk does it", "zendesk again"):
        past_unit(text, account=account).competitors.add(zendesk)
    past_unit("Zendesk, from someone without an account").competitors.add(zendesk)

    page = product_client.get("/admin/feedback/competitor/").content.decode()
    assert '<td class="field-units_naming">3</td>' in page
    assert '<td class="field-accounts_naming">1</td>' in page
