"""GCJ-02 (the "Mars" datum of Chinese web maps) to and from WGS84 (DOMAIN.md §8).

Chinese basemaps and many agencies' exports (高德, 腾讯, data digitised on them) give points in
GCJ-02, offset from WGS84 by 50–500 m by a published, deliberately irregular formula. We store
WGS84 (EPSG:4326), so GCJ-02 input is converted on the way in, and only there.

The forward formula (WGS84 → GCJ-02) is the well-known one on the Krasovsky ellipsoid; the
inverse has no closed form and is found by fixed-point iteration (it converges to well under a
millimetre in three or four steps). Outside China the datum is WGS84 itself, so no offset is
applied there. Both directions take floats or numpy arrays (element-wise) and are pure.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

_A = 6378245.0  # Krasovsky 1940 semi-major axis (m)
_EE = 0.00669342162296594323  # its first eccentricity squared
# The bounding box the formula is applied in (points outside are left as they are).
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)
# Iterations of the inverse: each one gains about three orders of magnitude near the district.
_INVERSE_STEPS = 6

Coord = TypeVar("Coord", float, npt.NDArray[np.float64])


def in_china(lon: Coord, lat: Coord) -> npt.NDArray[np.bool_]:
    """Whether the points lie in the box where GCJ-02 differs from WGS84."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    west, south, east, north = CHINA_BOX
    return (lon_a >= west) & (lon_a <= east) & (lat_a >= south) & (lat_a <= north)


def _offset_lat(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    pi = np.pi
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    value += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    value += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    value += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    return value


def _offset_lon(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    pi = np.pi
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    value += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    value += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    value += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return value


def _delta(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The GCJ-02 offset (degrees of longitude, latitude) at WGS84 points in China."""
    d_lat = _offset_lat(lon - 105.0, lat - 35.0)
    d_lon = _offset_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _like(value: npt.NDArray[np.float64], template: Coord) -> Coord:
    if isinstance(template, np.ndarray):
        return value  # type: ignore[return-value]
    return float(value)  # type: ignore[return-value]


def wgs84_to_gcj02(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """WGS84 → GCJ-02 (for display on a Chinese basemap; never for storage)."""
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _delta(lon_a, lat_a)
    inside = in_china(lon_a, lat_a)
    out_lon = np.where(inside, lon_a + d_lon, lon_a)
    out_lat = np.where(inside, lat_a + d_lat, lat_a)
    return _like(out_lon, lon), _like(out_lat, lat)


def gcj02_to_wgs84(lon: Coord, lat: Coord) -> tuple[Coord, Coord]:
    """GCJ-02 → WGS84: the WGS84 point whose GCJ-02 image is the given point."""
    target_lon, target_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    inside = in_china(target_lon, target_lat)
    guess_lon, guess_lat = target_lon.copy(), target_lat.copy()
    for _step in range(_INVERSE_STEPS):
        d_lon, d_lat = _delta(guess_lon, guess_lat)
        guess_lon = target_lon - d_lon
        guess_lat = target_lat - d_lat
    out_lon = np.where(inside, guess_lon, target_lon)
    out_lat = np.where(inside, guess_lat, target_lat)
    return _like(out_lon, lon), _like(out_lat, lat)
