"""Counting a dense dataset's features into map cells, once, when it is imported.

At zoom z a cell is 64 screen pixels wide: 90 / 2^z degrees of longitude (and as many of
latitude, which at 36° N is a little taller on screen; a cluster is a count, not a tile). A
cluster sits at the mean position of the features in its cell. Levels are counted from
MIN_ZOOM up and stop at the first zoom where clustering no longer halves the features: from
there on the map gets the features themselves, a few thousand at most in a screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

MIN_ZOOM = 8
MAX_ZOOM = 18
CELL_PIXELS = 64
# Datasets smaller than this are served as features at every zoom.
MIN_FEATURES = 1000


def cell_degrees(zoom: int) -> float:
    return 360.0 / (256 * 2**zoom) * CELL_PIXELS


@dataclass
class ClusterLevel:
    zoom: int
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]
    feature_id: npt.NDArray[np.int64]  # the feature of a one-feature cell, else 0


@dataclass
class ClusterCells:
    levels: list[ClusterLevel] = field(default_factory=list)

    @property
    def max_zoom(self) -> int | None:
        return self.levels[-1].zoom if self.levels else None

    def rows(self) -> Iterator[tuple[int, float, float, int, int | None]]:
        for level in self.levels:
            for lon, lat, count, feature_id in zip(
                level.lon, level.lat, level.count, level.feature_id, strict=True
            ):
                yield (
                    level.zoom,
                    round(float(lon), 7),
                    round(float(lat), 7),
                    int(count),
                    int(feature_id) if count == 1 else None,
                )


def cluster_cells(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], ids: npt.NDArray[np.int64]
) -> ClusterCells:
    """The cluster levels worth storing for features at (x, y) with row ids `ids`."""
    cells = ClusterCells()
    n = len(x)
    if n < MIN_FEATURES:
        return cells
    for zoom in range(MIN_ZOOM, MAX_ZOOM + 1):
        size = cell_degrees(zoom)
        ix = np.floor(x / size).astype(np.int64)
        iy = np.floor(y / size).astype(np.int64)
        keys = ix * (1 << 32) + (iy & 0xFFFFFFFF)
        unique, inverse = np.unique(keys, return_inverse=True)
        if len(unique) * 2 > n:
            break
        count = np.bincount(inverse)
        lon = np.bincount(inverse, weights=x) / count
        lat = np.bincount(inverse, weights=y) / count
        # For a one-feature cell the max of the ids is that feature's id.
        feature_id = np.zeros(len(unique), dtype=np.int64)
        np.maximum.at(feature_id, inverse, ids)
        cells.levels.append(
            ClusterLevel(zoom=zoom, lon=lon, lat=lat, count=count, feature_id=feature_id)
        )
    return cells
