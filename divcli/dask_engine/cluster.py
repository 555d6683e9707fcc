"""Dask itself for ``--engine dask``: whether it is installed, and the client of a scheduler or of a
LocalCluster sized to this machine (the only places Dask is imported, inside the functions)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

from ..errors import EngineError  # raised here, said by the CLI (divcli.cli.run.run_streamed)

INSTALL = 'pip install "divcli[dask]"'


def require() -> None:
    """Dask, distributed and pyarrow, or a one-line error saying how to install them."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as error:
        raise EngineError(f"--engine dask needs Dask, which is not installed here (no module "
                          f"{error.name!r}); install it with: {INSTALL}") from None


def _probe(scheduler: str) -> None:
    """A tcp:// address that refuses connections is said to at once (the client would retry until its
    timeout, 10 s); any other answer, or another scheme, is left to the client."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(scheduler if "://" in scheduler else f"tcp://{scheduler}")
    if address.scheme != "tcp" or not address.hostname:
        return
    try:
        socket.create_connection((address.hostname, address.port or 8786), timeout=10).close()
    except ConnectionRefusedError:
        raise OSError("the connection was refused") from None
    except OSError:  # a timeout, an unknown host: the client says it its way
        pass


@contextmanager
def connect(scheduler: str | None, say: Callable[[str], None] | None):
    """A client of the scheduler at ``scheduler``, or of a LocalCluster sized to this machine."""
    import importlib.util
    import logging

    from distributed import Client, LocalCluster

    cluster = None
    try:
        if scheduler:
            _probe(scheduler)
            client = Client(scheduler, timeout="10s")
        else:
            # the workers' own logs are not divcli's messages: what fails reaches the client as an
            # exception, said once; a task cancelled after another's error, or a heartbeat lost while
            # the cluster closes, would print a warning or a traceback before (or after) divcli's words
            cluster = LocalCluster(dashboard_address=":0", silence_logs=logging.CRITICAL)
            client = Client(cluster)
    except (OSError, ValueError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {error}; start one with "
                          f"'dask scheduler' and workers with 'dask worker ADDRESS'") from None
    try:
        if say is not None:
            workers = client.scheduler_info(n_workers=-1)["workers"] if scheduler else cluster.scheduler_info["workers"]
            threads = sum(worker.get("nthreads", 0) for worker in workers.values())
            served = "" if importlib.util.find_spec("bokeh") else " (install bokeh to serve it)"
            say(f"dask: scheduler {client.scheduler.address}, {len(workers)} workers, {threads} threads; "
                f"dashboard {client.dashboard_link}{served}")
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
