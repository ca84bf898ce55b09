"""The API's default pagination answers at most 500 rows a page, whatever ?limit= asks."""

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory


def test_a_huge_limit_is_cut_to_the_ceiling():
    paginator = api_settings.DEFAULT_PAGINATION_CLASS()
    request = Request(APIRequestFactory().get("/api/v1/anything/", {"limit": "10000000"}))
    assert paginator.get_limit(request) == 500
    request = Request(APIRequestFactory().get("/api/v1/anything/"))
    assert paginator.get_limit(request) == 100
