"""GCJ-02 ⇄ WGS84 (DOMAIN.md §8): the published forward formula, its inverse, and no offset
outside China."""

from __future__ import annotations

import math

import numpy as np
import pytest
from django.contrib.gis.geos import Point

from grids.gcj02 import gcj02_to_wgs84, in_china, wgs84_to_gcj02
from grids.geo import distance_m


def test_the_forward_formula_gives_the_published_value_for_beijing():
    # The reference pair every implementation of the formula reproduces.
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-12)
    assert lat == pytest.approx(39.91640428150164, abs=1e-12)


def test_in_the_district_the_offset_is_a_few_hundred_metres():
    lon, lat = wgs84_to_gcj02(120.37, 36.105)
    offset = distance_m(Point(120.37, 36.105, srid=4326), Point(lon, lat, srid=4326))
    assert 50 < offset < 500


@pytest.mark.parametrize(("lon", "lat"), [(120.37, 36.105), (116.404, 39.915), (87.6, 43.8)])
def test_the_inverse_returns_the_wgs84_point_within_a_millimetre(lon, lat):
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert math.isclose(back_lon, lon, abs_tol=1e-8)
    assert math.isclose(back_lat, lat, abs_tol=1e-8)


def test_outside_china_nothing_moves():
    assert wgs84_to_gcj02(-0.1276, 51.5072) == (-0.1276, 51.5072)
    assert gcj02_to_wgs84(151.2, -33.9) == (151.2, -33.9)
    assert not in_china(-0.1276, 51.5072)


def test_arrays_convert_element_by_element():
    lon = np.array([120.30, 120.35, 2.35])
    lat = np.array([36.08, 36.10, 48.85])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert isinstance(g_lon, np.ndarray)
    assert g_lon[2] == 2.35  # Paris stays
    for i in range(2):
        single = wgs84_to_gcj02(float(lon[i]), float(lat[i]))
        assert (g_lon[i], g_lat[i]) == pytest.approx(single)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert np.allclose(w_lon, lon, atol=1e-8)
    assert np.allclose(w_lat, lat, atol=1e-8)
