"""Block sizes: how many rows each block of an operand holds, the first and every later one; and the
memory a program can still take, which an array read whole must fit in."""

from __future__ import annotations

from .blocks import bounded_rows

#: Rows in the first block of every operand (fewer when they would hold more than BLOCK_ELEMENTS
#: values); later blocks hold BLOCK_ELEMENTS values (rows × classes). Every block has one row at least.
FIRST_BLOCK_ROWS = 256


BLOCK_ELEMENTS = 1 << 19


def first_block_rows(count: int) -> int:
    """The rows of the first block of operands of ``count`` classes: :data:`FIRST_BLOCK_ROWS`, or as
    many as fit in :data:`BLOCK_ELEMENTS` values, one at least (later blocks: :func:`block_rows`)."""
    return bounded_rows(FIRST_BLOCK_ROWS, count, BLOCK_ELEMENTS)


def block_rows(count: int) -> int:
    """The rows of every block after the first: as many as fit in :data:`BLOCK_ELEMENTS` values."""
    return bounded_rows(BLOCK_ELEMENTS, count, BLOCK_ELEMENTS)


def block_of(row: int, count: int) -> int:
    """The local engine's block that holds ``row``: its first :func:`first_block_rows`, then
    :func:`block_rows` at a time."""
    first = first_block_rows(count)
    return 0 if row < first else 1 + (row - first) // block_rows(count)


def memory_available() -> int | None:
    """The memory the kernel says a program can still take (Linux: the machine's, or its control
    group's when that is less, as in a container), or None where it does not say."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            found += [int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as limit, \
                open("/sys/fs/cgroup/memory.current", encoding="ascii") as current:
            found.append(int(limit.read()) - int(current.read()))  # "max" (no limit) is no int
    except (OSError, ValueError):
        pass
    return min(found) if found else None
