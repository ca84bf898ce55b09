"""Run a command and start it again whenever it dies: the embedded stack's worker and beat.

honcho (`make run`) stops every process when one exits, so a worker killed by a broker fault
or the OOM killer used to take the web server down with it (issue 14). Under this wrapper the
worker comes back after a short pause (longer if it keeps dying at once), and honcho sees
an exit only when it asks for one: SIGTERM or SIGINT is passed on to the command and then
this wrapper exits with it.

Usage: python -m config.respawn [--pidfile PATH] -- command args...
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 30.0
STABLE_SECONDS = 60.0  # a run this long resets the pause


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="respawn")
    parser.add_argument("--pidfile", type=Path, help="write the running command's pid here")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")

    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    pause = PAUSE_SECONDS
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command)  # noqa: S603 (the Procfile's own command)
        if args.pidfile:
            args.pidfile.write_text(f"{child.pid}\n")
        code = child.wait()
        if stopping:
            return code
        if time.monotonic() - started >= STABLE_SECONDS:
            pause = PAUSE_SECONDS
        print(
            f"respawn: {command[0]} exited with {code}; starting it again in {pause:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        if stopping:
            return code
        pause = min(pause * 2, MAX_PAUSE_SECONDS)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
