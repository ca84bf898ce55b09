from django.urls import path

from exchange.api import ExchangeCasesFeedView

urlpatterns = [
    path("exchange/cases/", ExchangeCasesFeedView.as_view(), name="api-exchange-cases"),
]
