"""Memoise expensive read-only service results until the activities table changes.

The Load page recomputes ten years of weeks from summary rows on every visit otherwise.
The fingerprint (`activities.queries.activity_fingerprint`: row count, highest id, latest
import and delete times, rows and id sum per sport, so a corrected sport counts too) costs two
aggregate queries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from strideback.activities.queries import activity_fingerprint
from strideback.store.db import Database


def activities_fingerprint(db: Database) -> tuple[Any, ...]:
    """Changes whenever an import adds rows, an activity is deleted or restored, or a sport is
    corrected (also from the CLI): asked of the activities service, which owns the table."""
    return activity_fingerprint(db)


class ResultCache:
    """A small thread-safe LRU of results keyed by (name, arguments, fingerprint)."""

    def __init__(self, size: int = 32):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
