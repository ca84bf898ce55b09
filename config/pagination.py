"""The default pagination of every list in the API: limit/offset, with a ceiling."""

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's LimitOffsetPagination lets `?limit=` ask for every row at once; this one
    answers at most 500 a page (the default page is PAGE_SIZE, 100)."""

    max_limit = 500
