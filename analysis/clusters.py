"""DBSCAN over case points, in metres: PostGIS's ST_ClusterDBSCAN, or the same in Python.

Both give the same clusters for the same input:
- distances in EPSG:4549 (CGCS2000 / 3-degree Gauss-Krüger, central meridian 120°E), through
  PROJ in both cases (ST_Transform; grids.geo.to_metres through GDAL);
- a point is a core point when at least `min_points` points, itself included, lie within
  `eps` metres of it; core points within `eps` of each other share a cluster;
- a border point (not core, within `eps` of a core point) joins the cluster of the first core
  point, in ascending id order, that reaches it. PostGIS visits the rows of a window partition
  in the window's order, and the SQL below orders by case id; `dbscan` visits them the same way
  (this is the union-find walk of PostGIS's liblwgeom, not the textbook expansion, which can
  hand a contested border point to another cluster).

`dbscan` finds neighbours through a grid index of `eps`-sized cells: a point's neighbours lie in
its own cell or one of the eight around it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller root wins, so cluster roots do not depend on the union order.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def dbscan(ids: Sequence[int], xy: np.ndarray, *, eps: float, min_points: int) -> list[list[int]]:
    """Clusters of `ids` (each sorted, the list ordered by smallest id); noise is left out.

    `xy` holds the points in metres, one row per id.
    """
    n = len(ids)
    if n == 0 or n < min_points:
        return []
    order = sorted(range(n), key=lambda i: ids[i])
    ids = [ids[i] for i in order]
    xs = [float(v) for v in xy[order, 0]]
    ys = [float(v) for v in xy[order, 1]]
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    keys = []
    for i in range(n):
        key = (math.floor(xs[i] / eps), math.floor(ys[i] / eps))
        keys.append(key)
        cells[key].append(i)

    def neighbours(p: int) -> list[int]:
        cx, cy = keys[p]
        px, py = xs[p], ys[p]
        found = []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for q in cells.get((cx + dx, cy + dy), ()):
                    # sqrt as PostGIS does it, so a point exactly at eps counts the same.
                    if math.sqrt((xs[q] - px) ** 2 + (ys[q] - py) ** 2) <= eps:
                        found.append(q)
        return found

    union = _UnionFind(n)
    in_cluster = [False] * n
    is_core = [False] * n
    for p in range(n):
        near = neighbours(p)
        if len(near) < min_points:
            continue
        is_core[p] = in_cluster[p] = True
        for q in near:
            if in_cluster[q]:
                # Two clusters meet only through two core points.
                if is_core[q]:
                    union.union(p, q)
            else:
                union.union(p, q)
                in_cluster[q] = True
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        if in_cluster[i]:
            groups[union.find(i)].append(ids[i])
    return sorted((sorted(group) for group in groups.values()), key=lambda group: group[0])


# The PostGIS path: one statement for every partition (an item, or a major class), each with
# its own eps, min_points and time window, the rows of each partition in id order. The first
# bound (the earliest window) lets the planner read the recent cases through the reported_at
# index instead of joining every case with the rules.
POSTGIS_SQL = """
SELECT id, part, cluster FROM (
  SELECT c.id, r.part,
         ST_ClusterDBSCAN(ST_Transform(c.point, {srid}), r.eps, r.min_points)
           OVER (PARTITION BY r.part ORDER BY c.id) AS cluster
  FROM {case_table} c
  JOIN {item_table} i ON i.id = c.item_id
  JOIN (VALUES {values}) AS r(part, {join_columns}, eps, min_points, since)
    ON {join_on}
  WHERE c.reported_at >= %s AND c.reported_at <= %s AND c.reported_at >= r.since
    AND c.status NOT IN ({excluded})
) clustered
WHERE cluster IS NOT NULL
"""
