"""Long-lived objects kept out of full garbage collections while a big view is on screen.

A full collection rescans every tracked object: 10,000 bucket rows are ~290,000
objects, and botocore's models and endpoint rules plus Textual's widgets another
~200,000, so each full pass stalled a frame 0.15-0.3 s of CPU (the buckets
screen after loading, the prefix browser every few pages). A view that holds or
churns many objects calls :func:`hold` once its long-lived objects exist:
everything alive is frozen (``gc.freeze``: later collections skip it). It calls
:func:`release` when it leaves; when the last holder has left, everything is
unfrozen, so the cycles the views left behind are collected as usual (until
then, a view that left while another still holds stays frozen with it).
"""

from __future__ import annotations

import gc

_holders: set[int] = set()


def hold(owner: object) -> None:
    """Freeze everything alive now, and keep it frozen until ``owner`` (and every other holder) releases."""
    gc.freeze()
    _holders.add(id(owner))


def release(owner: object) -> None:
    if id(owner) not in _holders:
        return
    _holders.discard(id(owner))
    if not _holders:
        gc.unfreeze()


def holders() -> int:
    return len(_holders)
