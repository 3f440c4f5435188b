"""Worker processes that never outlive their parent.

A worker pool's processes are started by the server (or `strideback import`). If that parent
is killed (kill -9, the OOM killer), nothing tells the workers, and they would run on as
orphans. `exit_when_parent_dies` starts a small watchdog thread in the worker that exits the
process as soon as its parent is gone; pass it as the pool's initializer:

    ProcessPoolExecutor(..., initializer=exit_when_parent_dies)
"""

from __future__ import annotations

import os
import threading
import time

POLL_SECONDS = 0.5


def parent_is_gone(parent_pid: int) -> bool:
    """True once the process that started us has exited (we were re-parented)."""
    return os.getppid() != parent_pid


def exit_when_parent_dies(poll_seconds: float = POLL_SECONDS) -> None:
    """Watch the parent from a daemon thread; exit this process at once when it is gone.

    Polls the parent pid rather than using Linux's PR_SET_PDEATHSIG, which fires when the
    parent *thread* that started the worker ends (a web server's thread pool retires its
    threads), and which other systems lack.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            if parent_is_gone(parent):
                os._exit(1)  # no cleanup: the parent's transaction rules keep the DB consistent

    threading.Thread(target=watch, name="strideback-parent-watch", daemon=True).start()
