"""Benchmark the public redaction (citizens.redaction): CPU time per description.

    .venv/bin/python bench/redaction.py [-n 3000]

Typical hotline and inspector texts, with and without numbers and names. Prints the CPU
time per text (process time, so a busy machine slows it less than wall time) for `redact`
and for `public_text` cold and warm (its per-process cache: Open311 clients read the same
newest cases again and again). No database.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from citizens.redaction import public_text, redact  # noqa: E402

TEXTS = [
    "路边暴露垃圾一堆",
    "市民反映：长春路与辽宁路路口东南角有大量建筑垃圾，已有三天，影响通行。",
    "市民李四来电：辽宁路88号3单元门口有垃圾，电话138 0013 8000，请尽快处理。",
    "井盖缺失，位于延安路与台东一路交叉口西北角，2026年11月27日上午8:30发现，"
    "联系人王先生 13912345678",
    "3号楼和5号楼之间的绿地被占用堆放杂物，居民多次反映未果。",
    "Street lamp out at the corner of Liaoning Rd, reported by Mr. Smith, tel +86 138-0013-8000.",
]


def cpu_per_text(fn: object, texts: list[str]) -> float:
    start = time.process_time()
    for text in texts:
        fn(text)  # type: ignore[operator]
    return (time.process_time() - start) / len(texts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3000)
    args = parser.parse_args()
    # Distinct texts (a serial number each), as the cases of a list are.
    texts = [f"{TEXTS[i % len(TEXTS)]}（{i}）" for i in range(args.n)]
    print(f"redact:              {cpu_per_text(redact, texts):7.1f} µs CPU per text")
    public_text.cache_clear()
    print(f"public_text, cold:   {cpu_per_text(public_text, texts):7.1f} µs CPU per text")
    print(f"public_text, warm:   {cpu_per_text(public_text, texts):7.1f} µs CPU per text")
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
