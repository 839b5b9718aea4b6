"""The collector settings every hub process takes (``hub.collector``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from hub import collector


@pytest.fixture
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored")
def test_tune_freezes_what_is_loaded_and_collects_the_young_generation_less_often() -> None:
    _, middle, old = gc.get_threshold()
    collector.tune()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, middle, old)
    collector.tune()  # a second call changes nothing
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, middle, old)


@pytest.mark.usefixtures("restored")
def test_reference_cycles_made_after_tuning_are_still_freed_without_asking() -> None:
    import weakref

    class Node:
        other: object

    collector.tune()
    first, second = Node(), Node()
    first.other, second.other = second, first
    watch = weakref.ref(first)
    del first, second
    assert gc.isenabled()
    held = [[] for _ in range(3 * collector.YOUNG_THRESHOLD)]  # enough allocations for a young collection
    assert watch() is None, "the cycle was not collected automatically"
    assert len(held) == 3 * collector.YOUNG_THRESHOLD
