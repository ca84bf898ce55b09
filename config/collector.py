"""The garbage collector of a web process, set for serving requests.

A Django process holds a few hundred thousand long-lived objects once it has loaded (Django,
DRF, GDAL/GEOS bindings, the URL patterns, the model metadata). CPython's collector walks all
of them in every full collection, which took ~250 ms in the middle of a request
(docs/performance.md §16), and in every second-generation pass those that had not yet been
promoted. `gc.freeze()` moves what exists after loading into a permanent generation that the
collector no longer walks (nothing frozen is freed, which is the point: it lives as long as
the process), and a higher first threshold collects the young generation less often: a
request allocates tens of thousands of objects that are nearly all freed by reference
counting when it ends.

Reference cycles are still collected; only the schedule changes. WEB_GC_FREEZE=0 turns it off.
"""

from __future__ import annotations

import gc
import os

# Young-generation threshold: allocations minus deallocations between collections (CPython's
# default is 700); the older generations keep CPython's ratios.
YOUNG_THRESHOLD = 7_000


def settle() -> None:
    """Freeze what the process has loaded and raise the young generation's threshold."""
    if os.environ.get("WEB_GC_FREEZE", "1") == "0":
        return
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(int(os.environ.get("WEB_GC_YOUNG", YOUNG_THRESHOLD)), middle, old)
