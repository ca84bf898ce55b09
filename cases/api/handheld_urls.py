"""Handheld endpoints (me, my grids, catalogue, photos, tasks, patrol, history)."""

urlpatterns: list = []
