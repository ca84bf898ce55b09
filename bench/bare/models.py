from __future__ import annotations

from django.contrib.gis.db import models


class BareReport(models.Model):
    request_id = models.CharField(max_length=64, unique=True)
    description = models.TextField()
    point = models.PointField(srid=4326)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bare"
