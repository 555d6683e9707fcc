"""Signals sent to a divcli run while it writes its output: it must leave nothing behind and keep the
previous content of the target."""

from __future__ import annotations

import os
import signal as signals
import subprocess
import sys
import threading
import time


def signal_a_long_run(tmp_path, number: int, *args: str) -> tuple[int, bytes]:
    """``divcli entropy - --reduction none *args -o tmp_path/target.csv`` on a pipe that never ends,
    sent signal ``number`` as soon as its temporary file exists (a signal arriving while the file is
    made is held until its name is kept): (its exit code, its stderr).
    Checks that nothing is left beside the target and that the target kept its previous content.
    Conditions, not sleeps: a loaded machine only makes each wait longer (the limits only stop a
    broken run)."""
    target, old = tmp_path / "target.csv", "the previous content\n" * 200
    target.write_text(old)
    process = subprocess.Popen([sys.executable, "-m", "divcli", "entropy", "-", "--reduction", "none", *args,
                                "-o", str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    chunk = "".join(f"{(i % 7 + 1) / 10},{1 - (i % 7 + 1) / 10}\n" for i in range(20_000)).encode()
    stop, opened = threading.Event(), threading.Event()

    def feed():  # fast until the output is open (the first block is read before), then slow, never the end
        try:
            while not stop.is_set():
                process.stdin.write(chunk)
                process.stdin.flush()
                if opened.is_set():
                    time.sleep(0.05)
        except (BrokenPipeError, ValueError):
            pass

    def leftovers() -> list[str]:
        return [name for name in os.listdir(tmp_path) if name != "target.csv"]

    threading.Thread(target=feed, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not leftovers() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert leftovers(), f"the run never made its temporary file: {process.poll()=}"
        opened.set()
        process.send_signal(signals.Signals(number))
        _, err = process.communicate(timeout=120)
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"Traceback" not in err
    assert leftovers() == [] and target.read_text() == old
    return process.returncode, err
