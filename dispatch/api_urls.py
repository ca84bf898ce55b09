from django.urls import path

from dispatch.inbox_api import InboxListView, InboxMarkReadView

urlpatterns = [
    path("me/inbox/", InboxListView.as_view(), name="api-inbox"),
    path("me/inbox/read/", InboxMarkReadView.as_view(), name="api-inbox-read"),
]
