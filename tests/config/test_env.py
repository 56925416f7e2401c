import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envfloat, envint, envlist


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), (" yes ", True), ("off", False), ("", False)]
)
def test_envbool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("VOC_TEST_FLAG", raw)

    assert envbool("VOC_TEST_FLAG", not expected) is expected


def test_envbool_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("VOC_TEST_FLAG", raising=False)

    assert envbool("VOC_TEST_FLAG", True) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "yess"])
def test_envbool_refuses_a_value_that_is_not_a_boolean(monkeypatch, raw):
    monkeypatch.setenv("VOC_TEST_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match=rf"VOC_TEST_FLAG='{raw}' is not a boolean"):
        envbool("VOC_TEST_FLAG", False)


def test_envint_reads_an_integer_and_defaults_when_empty(monkeypatch):
    monkeypatch.setenv("VOC_TEST_NUMBER", "42")
    assert envint("VOC_TEST_NUMBER", 7) == 42

    monkeypatch.setenv("VOC_TEST_NUMBER", " ")
    assert envint("VOC_TEST_NUMBER", 7) == 7


@pytest.mark.parametrize("raw", ["ten", "1.5", "3 days"])
def test_envint_refuses_a_value_that_is_not_an_integer(monkeypatch, raw):
    monkeypatch.setenv("VOC_TEST_NUMBER", raw)

    with pytest.raises(ImproperlyConfigured, match=rf"VOC_TEST_NUMBER='{raw}' is not an integer"):
        envint("VOC_TEST_NUMBER", 7)


def test_envfloat_refuses_a_value_that_is_not_a_number(monkeypatch):
    monkeypatch.setenv("VOC_TEST_NUMBER", "high")

    with pytest.raises(ImproperlyConfigured, match="VOC_TEST_NUMBER='high' is not a number"):
        envfloat("VOC_TEST_NUMBER", 1.0)


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("VOC_TEST_HOSTS", " voc.example.com, ,.example.org,")

    assert envlist("VOC_TEST_HOSTS", []) == ["voc.example.com", ".example.org"]
