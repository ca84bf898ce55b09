"""Signals grids sends for the apps beside and above it (which grids never imports)."""

from django.dispatch import Signal

# Sent inside seed_demo's transaction after the reference district is written, with
# `accounts` (whether demo accounts are seeded) and `password` (theirs). The layer catalogue
# registers its built-in layers; citizens add the demo citizen when accounts is true.
demo_seeded = Signal()
