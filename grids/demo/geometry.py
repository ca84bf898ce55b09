"""Generated polygons for the reference district: streets, communities, unit and extended grids.

Only the district's outer boundary is real; nobody publishes the inner boundaries, so each
level is generated as a partition of its parent:

* cells are a capacity-constrained power diagram (a Voronoi diagram whose sites carry weights):
  Lloyd steps keep cells compact, the weights make each cell's area match its share;
* the cells are clipped to the parent, and the few pieces a concave parent cuts off a cell
  are handed to the neighbour they share the longest edge with, so every child of a
  one-piece parent is one piece too;
* every vertex is snapped to a 1e-9° precision grid (about 0.1 mm) inside GEOS's overlay, so
  neighbours share vertices exactly and the children's union is the parent.

Everything is pure shapely/numpy and deterministic: each partition draws from a random
generator seeded with the parent's code, so every run produces the same polygons.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from grids.demo.reference import (
    ASSET_CLASSES,
    DEPARTMENTS,
    DISTRICT_CODE,
    DISTRICT_NAME,
    AssetClass,
    load_communities,
    load_district_boundary,
    load_streets,
)

RANDOM_SEED = 370203
# Every generated vertex lies on this grid (degrees); see the module docstring.
GRID_SIZE = 1e-9

UNIT_GRID_TOTAL = 1064
EXTENDED_GRID_TOTAL = 124
MIN_UNIT_GRIDS_PER_COMMUNITY = 4
# An extended grid (factory, campus, park) is drawn this many unit grids large.
EXTENDED_GRID_SHARE = 2.5
# Sequence numbers from 901 up are reserved for extended grids, so that a community can hold
# up to 900 unit grids (001–900) and the two kinds never share a code.
EXTENDED_SEQUENCE_START = 901
ASSET_TOTAL = 400

_LLOYD_ITERATIONS = 40
_SAMPLES_PER_CELL = 240
_WEIGHT_STEPS = (0.15, 0.06, 0.0)
# Accept a cell whose area is off its share by up to 35 % of the smallest share.
_MAX_SHARE_ERROR = 0.35

T = TypeVar("T")


class Progress(Protocol):
    """Wraps an iterable to show progress (tqdm's signature); the default shows nothing."""

    def __call__(self, items: Iterable[T], *, desc: str, total: int) -> Iterable[T]: ...


def no_progress(items: Iterable[T], *, desc: str, total: int) -> Iterable[T]:
    return items


@dataclass(frozen=True)
class RegionShape:
    code: str
    name: str
    level: str
    parent_code: str | None
    geom: MultiPolygon
    kind: str = ""


@dataclass
class DistrictLayout:
    district: RegionShape
    streets: list[RegionShape] = field(default_factory=list)
    communities: list[RegionShape] = field(default_factory=list)
    grids: list[RegionShape] = field(default_factory=list)

    def levels(self) -> Iterator[list[RegionShape]]:
        """Parents before children, the order the rows must be written in."""
        yield [self.district]
        yield self.streets
        yield self.communities
        yield self.grids


@dataclass(frozen=True)
class AssetSpec:
    code: str
    name: str
    major_class: str
    minor_class: str
    lon: float
    lat: float
    grid_code: str
    in_charge_code: str
    owner_code: str
    maintenance_code: str


@dataclass(frozen=True)
class CameraSpec:
    code: str
    name: str
    place: str
    lon: float
    lat: float
    grid_code: str
    direction_deg: int
    state: str


# --- partitioning ---------------------------------------------------------------------------


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([RANDOM_SEED, *key])


def _polygonal(geom: BaseGeometry) -> list[Polygon]:
    """The polygons of an overlay result; points and lines from touching edges are dropped."""
    return [
        part
        for part in shapely.get_parts(geom)
        if isinstance(part, Polygon) and not part.is_empty and part.area > 0
    ]


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    parts = _polygonal(geom)
    if not parts:
        raise ValueError("the geometry has no polygonal part")
    return MultiPolygon(parts)


def sample_points(region: BaseGeometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` uniform random (lon, lat) points strictly inside `region`, shape (count, 2)."""
    min_x, min_y, max_x, max_y = region.bounds
    shapely.prepare(region)
    found: list[np.ndarray] = []
    have = 0
    while have < count:
        candidates = rng.uniform((min_x, min_y), (max_x, max_y), size=(max(2 * count, 64), 2))
        inside = candidates[shapely.contains_xy(region, candidates[:, 0], candidates[:, 1])]
        found.append(inside)
        have += len(inside)
    return np.concatenate(found)[:count]


class _LocalFrame:
    """Degrees → a flat frame around `origin` where one unit is one degree of latitude.

    Scaling longitude by cos(latitude) makes distances (nearly) isotropic, so cells are
    compact on the ground and not stretched east–west; centring keeps the power-distance
    arithmetic far from the cancellation that 120°-sized coordinates would cause.
    """

    def __init__(self, origin: Point) -> None:
        self.lon0 = origin.x
        self.lat0 = origin.y
        self.kx = math.cos(math.radians(origin.y))

    def to_local(self, lonlat: np.ndarray) -> np.ndarray:
        return np.column_stack(((lonlat[:, 0] - self.lon0) * self.kx, lonlat[:, 1] - self.lat0))

    def to_lonlat(self, local: np.ndarray) -> np.ndarray:
        return np.column_stack((local[:, 0] / self.kx + self.lon0, local[:, 1] + self.lat0))


def _power_labels(points: np.ndarray, sites: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Index of the site with the smallest power distance |p − s|² − w, for each point."""
    deltas = points[:, None, :] - sites[None, :, :]
    power = np.einsum("nkd,nkd->nk", deltas, deltas) - weights[None, :]
    return np.argmin(power, axis=1)


def _clip(polygon: np.ndarray, normal: np.ndarray, offset: float) -> np.ndarray:
    """Clip a convex polygon (vertices, shape (m, 2)) to the half-plane normal·x ≤ offset."""
    side = polygon @ normal - offset
    inside = side <= 0
    if inside.all():
        return polygon
    if not inside.any():
        return polygon[:0]
    kept: list[np.ndarray] = []
    count = len(polygon)
    for index in range(count):
        following = (index + 1) % count
        if inside[index]:
            kept.append(polygon[index])
        if inside[index] != inside[following]:
            t = side[index] / (side[index] - side[following])
            kept.append(polygon[index] + t * (polygon[following] - polygon[index]))
    return np.array(kept)


def _power_cell(
    index: int, sites: np.ndarray, weights: np.ndarray, frame: np.ndarray
) -> np.ndarray:
    """The convex power cell of site `index` inside the rectangle `frame`, as vertices."""
    cell = frame
    site = sites[index]
    for other in range(len(sites)):
        if other == index or len(cell) == 0:
            continue
        # |x − s_i|² − w_i ≤ |x − s_j|² − w_j  ⇔  2(s_j − s_i)·x ≤ |s_j|² − |s_i|² − w_j + w_i
        normal = 2.0 * (sites[other] - site)
        offset = sites[other] @ sites[other] - site @ site - weights[other] + weights[index]
        cell = _clip(cell, normal, offset)
    return cell


def _balance(
    samples: np.ndarray, shares: np.ndarray, first_sites: np.ndarray, total_area: float, step: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Move sites and weights so each cell holds its share of the samples (its share of area).

    Alternates a Lloyd step (site → centroid of its samples, for compact cells) with a weight
    step: raising a weight by δ grows a compact cell by about 2δ, so the weight moves by `step`
    × the area missing (below ½ to damp the overshoot of thin cells). Returns the sites, the
    weights and the worst area error relative to the smallest share.
    """
    count = len(first_sites)
    sites = first_sites.copy()
    weights = np.zeros(count)
    targets = shares / shares.sum()
    for _ in range(_LLOYD_ITERATIONS):
        labels = _power_labels(samples, sites, weights)
        held = np.bincount(labels, minlength=count)
        occupied = held > 0
        for axis in (0, 1):
            sums = np.bincount(labels, weights=samples[:, axis], minlength=count)
            sites[occupied, axis] = sums[occupied] / held[occupied]
        # A site squeezed out of every sample gets the largest weight back, to reappear.
        weights[~occupied] = weights.max()
        weights += step * total_area * (targets - held / len(samples))
        weights -= weights.mean()
    held = np.bincount(_power_labels(samples, sites, weights), minlength=count)
    if held.min() == 0:
        return sites, weights, math.inf
    return sites, weights, float(np.abs(held / len(samples) - targets).max() / targets.min())


def _merge_fragments(pieces: list[list[Polygon]]) -> list[BaseGeometry]:
    """Keep each cell's largest piece; give its other pieces to the neighbour sharing most edge.

    A convex cell clipped by a concave parent can fall apart; a detached piece always borders
    another cell (what lies across its straight edges is inside the parent), so handing it
    over keeps the tiling while making the cells one piece.
    """
    cells: list[BaseGeometry] = []
    pending: list[tuple[int, Polygon]] = []
    for index, parts in enumerate(pieces):
        ordered = sorted(parts, key=lambda part: part.area, reverse=True)
        cells.append(ordered[0])
        pending.extend((index, part) for part in ordered[1:])
    while pending:
        unplaced: list[tuple[int, Polygon]] = []
        for owner, piece in pending:
            shared = shapely.length(
                shapely.intersection(
                    piece.boundary, shapely.boundary(np.array(cells, dtype=object))
                )
            )
            shared[owner] = 0.0
            best = int(np.argmax(shared))
            if shared[best] > 0:
                cells[best] = shapely.union(cells[best], piece, grid_size=GRID_SIZE)
            else:
                unplaced.append((owner, piece))
        if len(unplaced) == len(pending):
            # Nothing borders these pieces (only possible in a multi-part parent): keep them.
            for owner, piece in unplaced:
                cells[owner] = shapely.union(cells[owner], piece, grid_size=GRID_SIZE)
            break
        pending = unplaced
    return cells


def partition(
    parent: BaseGeometry,
    shares: Sequence[float],
    rng: np.random.Generator,
    *,
    sites_south_to_north: bool = False,
) -> list[MultiPolygon]:
    """Split `parent` into len(shares) cells whose areas follow `shares`, in the same order.

    The cells tile the parent: their union is the parent and they overlap nowhere (exactly,
    up to the GRID_SIZE snapping). `parent` must itself be snapped to GRID_SIZE. With
    `sites_south_to_north`, the first cell starts from the southernmost random site.
    """
    count = len(shares)
    if count == 1:
        return [as_multipolygon(parent)]
    frame = _LocalFrame(parent.centroid)
    samples = frame.to_local(sample_points(parent, count * _SAMPLES_PER_CELL, rng))
    first_sites = samples[:count].copy()
    if sites_south_to_north:
        first_sites = first_sites[np.argsort(first_sites[:, 1], kind="stable")]
    total_area = float(parent.area * frame.kx)
    # The weight step is a damped guess; a smaller one converges more slowly but surely, and
    # step 0 is plain Lloyd (equal cells, shares ignored). The starting sites themselves lie
    # inside the parent, so their plain Voronoi diagram is the fallback that loses no cell.
    sites, weights = first_sites, np.zeros(count)
    for step in _WEIGHT_STEPS:
        candidate_sites, candidate_weights, error = _balance(
            samples, np.asarray(shares, float), first_sites, total_area, step
        )
        if error <= _MAX_SHARE_ERROR or (step == 0.0 and math.isfinite(error)):
            sites, weights = candidate_sites, candidate_weights
            break
    min_x, min_y, max_x, max_y = parent.bounds
    corners = frame.to_local(
        np.array([[min_x, min_y], [max_x, min_y], [max_x, max_y], [min_x, max_y]])
    )
    margin = (corners.max(axis=0) - corners.min(axis=0)).max()
    lo, hi = corners.min(axis=0) - margin, corners.max(axis=0) + margin
    box = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    shapely.prepare(parent)
    pieces: list[list[Polygon]] = []
    for index in range(count):
        vertices = frame.to_lonlat(_power_cell(index, sites, weights, box))
        clipped = shapely.intersection(Polygon(vertices), parent, grid_size=GRID_SIZE)
        parts = _polygonal(clipped)
        if not parts:
            raise RuntimeError(f"partition lost cell {index} of {count}")
        pieces.append(parts)
    return [as_multipolygon(cell) for cell in _merge_fragments(pieces)]


# --- grid numbering -------------------------------------------------------------------------


def numbering_rows(community: BaseGeometry, unit_grid_count: int) -> int:
    """How many west→east rows the community's unit grids are numbered in.

    As many rows as square cells of the community's average size would stack in its bounding
    box: round(√(n · H / W)), H and W the box's height and width on the ground (the width
    scaled by cos(latitude)), at least one.
    """
    min_x, min_y, max_x, max_y = community.bounds
    height = max_y - min_y
    width = (max_x - min_x) * math.cos(math.radians((min_y + max_y) / 2))
    return max(1, round(math.sqrt(unit_grid_count * height / width)))


def unit_grid_order(community: BaseGeometry, cells: Sequence[BaseGeometry]) -> list[int]:
    """The order unit grids are numbered in: west→east, north→south (DOMAIN.md §2).

    The community's bounding box is cut into `numbering_rows` bands of equal height; a grid
    belongs to the band that holds its centroid. Bands are numbered from the north, and inside
    a band grids go west to east by centroid longitude. Returns indices into `cells`:
    order[0] is grid 001.
    """
    rows = numbering_rows(community, len(cells))
    _, min_y, _, max_y = community.bounds
    band_height = (max_y - min_y) / rows
    keys = []
    for index, cell in enumerate(cells):
        centroid = cell.centroid
        row = min(rows - 1, int((max_y - centroid.y) // band_height))
        keys.append((row, centroid.x, index))
    return [index for _, _, index in sorted(keys)]


def grid_code(community_code: str, sequence: int) -> str:
    return f"{community_code}{sequence:03d}"


def unit_grid_name(community_name: str, sequence: int) -> str:
    return f"{community_name}第{sequence:03d}网格"


def extended_grid_name(community_name: str, sequence: int) -> str:
    return f"{community_name}拓展网格{sequence:03d}"


# --- the district ---------------------------------------------------------------------------


def allocate(weights: Sequence[float], total: int, minimum: int) -> list[int]:
    """Split `total` into integers ≥ `minimum`, the rest in proportion to `weights`.

    Largest remainders decide the last units (Hamilton's method), ties by position, so the
    result is deterministic and sums to `total` exactly.
    """
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"{total} cannot give {len(weights)} parts at least {minimum} each")
    quotas = spare * np.asarray(weights, float) / float(np.sum(weights))
    counts = np.floor(quotas).astype(int)
    leftover = spare - int(counts.sum())
    by_remainder = np.argsort(-(quotas - counts), kind="stable")
    counts[by_remainder[:leftover]] += 1
    return [minimum + int(count) for count in counts]


def _grids_of(community: RegionShape, unit_count: int, with_extended: bool) -> list[RegionShape]:
    if unit_count >= EXTENDED_SEQUENCE_START:
        raise ValueError(f"{community.code}: {unit_count} unit grids would reach the 9xx range")
    shares = [1.0] * unit_count + ([EXTENDED_GRID_SHARE] if with_extended else [])
    cells = partition(community.geom, shares, _rng(int(community.code)))
    unit_cells, extended_cells = cells[:unit_count], cells[unit_count:]
    grids = []
    for sequence, index in enumerate(unit_grid_order(community.geom, unit_cells), start=1):
        grids.append(
            RegionShape(
                code=grid_code(community.code, sequence),
                name=unit_grid_name(community.name, sequence),
                level="grid",
                parent_code=community.code,
                geom=unit_cells[index],
                kind="unit",
            )
        )
    for sequence, cell in enumerate(extended_cells, start=EXTENDED_SEQUENCE_START):
        grids.append(
            RegionShape(
                code=grid_code(community.code, sequence),
                name=extended_grid_name(community.name, sequence),
                level="grid",
                parent_code=community.code,
                geom=cell,
                kind="extended",
            )
        )
    return grids


def generate_layout(progress: Progress = no_progress) -> DistrictLayout:
    """Streets, communities and grids of 370203, tiling the real boundary. Deterministic."""
    boundary = shapely.set_precision(load_district_boundary(), GRID_SIZE)
    layout = DistrictLayout(
        district=RegionShape(
            code=DISTRICT_CODE,
            name=DISTRICT_NAME,
            level="district",
            parent_code=None,
            geom=as_multipolygon(boundary),
        )
    )
    streets = load_streets()
    communities = load_communities()
    by_street = {
        street.code: [c for c in communities if c.street_code == street.code] for street in streets
    }
    # A street's area follows its number of communities. Sites start south to north in code
    # order, a rough nod to the map: the former Sifang district's streets (codes 028–035,
    # merged into Shibei in 2012) lie north of old Shibei's.
    street_cells = partition(
        boundary,
        [len(by_street[street.code]) for street in streets],
        _rng(int(DISTRICT_CODE)),
        sites_south_to_north=True,
    )
    for record, cell in zip(streets, street_cells, strict=True):
        layout.streets.append(RegionShape(record.code, record.name, "street", DISTRICT_CODE, cell))
    for street in layout.streets:
        members = by_street[street.code]
        rng = _rng(int(street.code))
        # Communities differ in size (old dense blocks, newer estates): log-normal shares.
        shares = rng.lognormal(0.0, 0.3, size=len(members))
        cells = partition(street.geom, list(shares), rng)
        for member, cell in zip(members, cells, strict=True):
            layout.communities.append(
                RegionShape(member.code, member.name, "community", street.code, cell)
            )
    areas = [community.geom.area for community in layout.communities]
    unit_counts = allocate(areas, UNIT_GRID_TOTAL, MIN_UNIT_GRIDS_PER_COMMUNITY)
    # The smallest communities are the dense old blocks without a factory, campus or park.
    by_area = sorted(range(len(areas)), key=lambda index: (-areas[index], index))
    with_extended = set(by_area[:EXTENDED_GRID_TOTAL])
    work = list(enumerate(layout.communities))
    for index, community in progress(work, desc="grids", total=len(work)):
        layout.grids.extend(_grids_of(community, unit_counts[index], index in with_extended))
    return layout


# --- assets ---------------------------------------------------------------------------------


def generate_assets(layout: DistrictLayout, total: int = ASSET_TOTAL) -> list[AssetSpec]:
    """`total` city components spread over the grids in proportion to area. Deterministic.

    Code = 6-digit district + 2-digit major class + 2-digit minor class + 6-digit serial,
    the serial counting per class from 000001. Each point lies strictly inside its grid.
    """
    rng = _rng(int(DISTRICT_CODE), 16)
    departments = {department.key: department.code for department in DEPARTMENTS}
    grid_areas = np.array([grid.geom.area for grid in layout.grids])
    grid_indices = rng.choice(len(layout.grids), size=total, p=grid_areas / grid_areas.sum())
    class_weights = np.array([asset_class.weight for asset_class in ASSET_CLASSES], float)
    class_indices = rng.choice(
        len(ASSET_CLASSES), size=total, p=class_weights / class_weights.sum()
    )
    serials: dict[tuple[str, str], int] = {}
    assets = []
    for grid_index, class_index in zip(grid_indices, class_indices, strict=True):
        grid = layout.grids[int(grid_index)]
        asset_class: AssetClass = ASSET_CLASSES[int(class_index)]
        key = (asset_class.major, asset_class.minor)
        serials[key] = serials.get(key, 0) + 1
        lon, lat = _point_inside(grid.geom, rng)
        assets.append(
            AssetSpec(
                code=f"{DISTRICT_CODE}{asset_class.major}{asset_class.minor}{serials[key]:06d}",
                name=asset_class.name,
                major_class=asset_class.major,
                minor_class=asset_class.minor,
                lon=lon,
                lat=lat,
                grid_code=grid.code,
                in_charge_code=departments[asset_class.in_charge],
                owner_code=departments[asset_class.owner],
                maintenance_code=departments[asset_class.maintenance],
            )
        )
    return assets


def _point_inside(region: BaseGeometry, rng: np.random.Generator) -> tuple[float, float]:
    # Seven decimals is GPS precision (~1 cm); rounding may step over the edge, so re-check.
    while True:
        lon, lat = (round(float(value), 7) for value in sample_points(region, 1, rng)[0])
        if shapely.contains_xy(region, lon, lat):
            return lon, lat


# --- demo cameras ---------------------------------------------------------------------------

DEMO_CAMERA_TOTAL = 12
# Most demo cameras have no stream to play (a demo has no video gateway); a few are offline
# or faulty, so every state shows on the map and the case page.
DEMO_CAMERA_STATES = ("no_stream",) * 9 + ("offline", "offline", "fault")


def generate_cameras(layout: DistrictLayout, total: int = DEMO_CAMERA_TOTAL) -> list[CameraSpec]:
    """A few public cameras in the first street's grids (where the demo accounts work), one
    per grid in code order, each strictly inside its grid. Deterministic."""
    first_street = min(street.code for street in layout.streets)
    names = {community.code: community.name for community in layout.communities}
    grids = sorted(
        (grid for grid in layout.grids if grid.code.startswith(first_street)),
        key=lambda grid: grid.code,
    )
    rng = _rng(int(DISTRICT_CODE), 25)
    cameras = []
    for number, grid in enumerate(grids[:total], start=1):
        lon, lat = _point_inside(grid.geom, rng)
        community = names.get(grid.parent_code or "", "")
        cameras.append(
            CameraSpec(
                code=f"{DISTRICT_CODE}-CAM-{number:04d}",
                name=f"{community}监控点{number}",
                place=f"{community}{grid.name}",
                lon=lon,
                lat=lat,
                grid_code=grid.code,
                direction_deg=int(rng.integers(0, 360)),
                state=DEMO_CAMERA_STATES[(number - 1) % len(DEMO_CAMERA_STATES)],
            )
        )
    return cameras
