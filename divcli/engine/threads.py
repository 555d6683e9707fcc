"""Blocks read, computed and written at once, in order: the local engine's use of both cores.

numpy's ufuncs, pyarrow's parser and the writes to a file release the GIL, so a thread that reads
the next blocks, threads that compute them and the caller's thread that writes them overlap.
:func:`ordered` keeps the order of the results and bounds what is held: ``threads`` blocks being
computed beside the one being written, and one being read.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar

from ..readers.blocks import AT_ONCE_PREFIX

if TYPE_CHECKING:  # imported when more than one thread is asked for: logging comes with them (17 ms)
    from concurrent.futures import Future, ThreadPoolExecutor

Item = TypeVar("Item")
Result = TypeVar("Result")

#: How often a reader blocked on a full queue looks whether the consumer has stopped (seconds).
_POLL = 0.1


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask: a container's or ``taskset``'s
    limit), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


Each = Callable[[Callable[[Item], Result], list[Item]], list[Result]]


def one_by_one(function: Callable[[Item], Result], items: list[Item]) -> list[Result]:
    """``function`` of every item, one after the other (an :data:`Each`)."""
    return [function(item) for item in items]


@contextmanager
def at_once(width: int) -> Iterator[Each]:
    """An :data:`Each` that calls ``function`` on up to ``width`` items at once, each on a thread
    (:func:`one_by_one` for a width of 1); the first exception, in the items' order, is raised once
    every call has ended."""
    if width <= 1:
        yield one_by_one
        return
    from concurrent.futures import ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(width, thread_name_prefix=AT_ONCE_PREFIX)

    def each(function: Callable[[Item], Result], items: list[Item]) -> list[Result]:
        futures = [pool.submit(function, item) for item in items]
        wait(futures)  # none still reading when the caller goes on, or closes the files
        return [future.result() for future in futures]

    try:
        yield each
    finally:
        pool.shutdown(cancel_futures=True)


def ordered(work: Callable[[Item], Result], items: Iterable[Item], threads: int = 1,
            read_on_a_thread: bool = True) -> Iterator[Result]:
    """``work(item)`` for every item, the results in the items' order.

    ``threads`` ≤ 1: one after the other in the caller's thread, each item read when the previous
    result has been taken. Otherwise the first item is worked in the caller's thread (it may set
    what later ones share), the rest ``threads`` at a time on a pool, read ahead in a thread of
    their own (``read_on_a_thread``) or in the caller's thread between results (for inputs whose
    reads may wait on another process: a pipe, a terminal; a thread blocked there could not be
    stopped). An exception, from reading or from ``work``, is raised where its item's result would
    have been, after every earlier result. ``work`` must be safe to call from several threads at
    once after the first call. When the caller stops taking results, nothing started here goes on.

    ``threads`` above :func:`available_cpus` is taken as that number: a thread beyond the CPUs
    computes nothing sooner and holds an item, so what is held at once (at most ``threads`` + 2
    items: read ahead, being worked, being taken) is bounded by the machine, whatever is asked.
    """
    iterator = iter(items)
    for item in iterator:
        yield work(item)
        break
    else:
        return
    threads = min(threads, available_cpus())
    if threads <= 1:
        for item in iterator:
            yield work(item)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads, thread_name_prefix="divcli-block") as pool:
        try:
            if read_on_a_thread:
                yield from _read_on_a_thread(work, iterator, threads, pool)
            else:
                yield from _read_here(work, iterator, threads, pool)
        finally:
            pool.shutdown(cancel_futures=True)  # and wait for the blocks being computed


def _read_here(work: Callable[[Item], Result], iterator: Iterator[Item], threads: int,
               pool: ThreadPoolExecutor) -> Iterator[Result]:
    """:func:`ordered` with the items read in the caller's thread: up to ``threads`` submitted
    before the oldest result is taken."""
    from collections import deque

    pending: deque[Future] = deque()
    failure: BaseException | None = None
    while failure is None:
        try:
            item = next(iterator)
        except StopIteration:
            break
        except Exception as error:  # noqa: BLE001 - raised after the results before it
            failure = error
            break
        pending.append(pool.submit(work, item))
        if len(pending) >= threads:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
    if failure is not None:
        raise failure


def _read_on_a_thread(work: Callable[[Item], Result], iterator: Iterator[Item], threads: int,
                      pool: ThreadPoolExecutor) -> Iterator[Result]:
    """:func:`ordered` with a reader thread that submits each item to the pool as soon as it is
    read and queues its future; the caller takes the futures in order. Held at once: the result
    being taken, ``threads`` items being worked (one of them submitted, waiting for room in the
    queue) and one being read."""
    import queue
    import threading
    from concurrent.futures import Future

    futures: queue.Queue[Future | None] = queue.Queue(maxsize=max(1, threads - 1))
    stop = threading.Event()

    def put(future: Future | None) -> bool:
        while not stop.is_set():
            try:
                futures.put(future, timeout=_POLL)
                return True
            except queue.Full:
                pass
        return False

    def read() -> None:
        try:
            for item in iterator:
                if stop.is_set() or not put(pool.submit(work, item)):
                    return
        except BaseException as error:  # noqa: BLE001 - raised in the caller's thread, in order
            failed: Future = Future()
            failed.set_exception(error)
            put(failed)
            return
        put(None)

    reader = threading.Thread(target=read, name="divcli-reader", daemon=True)
    reader.start()
    try:
        while (future := futures.get()) is not None:
            yield future.result()
    finally:
        stop.set()
        reader.join()  # its reads never wait on another process: it ends within a block's read
