"""The bounded frame queue between the capture thread and its consumer, with its two overflow policies."""

from __future__ import annotations

import threading
from collections import deque


class FrameBuffer:
    """Bounded FIFO with the two overflow policies: block the producer (files) or drop the oldest (live)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._items: deque = deque()
        self._cond = threading.Condition()
        self._closed = False  # consumer side gone: stop everything, discard what is queued
        self._finished = False  # producer done: the consumer drains what is left
        self.high_water = 0

    def __len__(self) -> int:
        return len(self._items)

    def _append(self, item) -> None:
        self._items.append(item)
        self.high_water = max(self.high_water, len(self._items))
        self._cond.notify_all()

    def put_wait(self, item) -> bool:
        """Wait for room, then append. False if the buffer was closed meanwhile."""
        with self._cond:
            while len(self._items) >= self.maxsize and not self._closed:
                self._cond.wait()
            if self._closed:
                return False
            self._append(item)
            return True

    def put_drop_oldest(self, item) -> int:
        """Append without waiting, dropping the oldest items to make room. Returns how many were dropped."""
        with self._cond:
            if self._closed:
                return 0
            dropped = 0
            while len(self._items) >= self.maxsize:
                self._items.popleft()
                dropped += 1
            self._append(item)
            return dropped

    def get(self):
        """The next item, waiting for one; None once finished and drained, or closed."""
        with self._cond:
            while not self._items and not self._finished and not self._closed:
                self._cond.wait()
            if self._closed or not self._items:
                return None
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def get_newest(self):
        """(the newest item, how many older ones were dropped for it), waiting for one; (None, 0) at the end."""
        with self._cond:
            while not self._items and not self._finished and not self._closed:
                self._cond.wait()
            if self._closed or not self._items:
                return None, 0
            item, skipped = self._items.pop(), len(self._items)
            self._items.clear()
            self._cond.notify_all()
            return item, skipped

    def finish(self) -> None:
        with self._cond:
            self._finished = True
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._items.clear()
            self._cond.notify_all()
