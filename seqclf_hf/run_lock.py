"""One run at a time per output_dir: a lock file beside it, held for the run's life.

Two runs started at once into one new folder (two terminals, a scheduler retrying a job) would both pass the
"is the folder in use" check and write into the same place. The lock is an flock on `<output_dir>.lock`: the kernel
drops it when its process dies, however it dies, so a lock left by a killed run is taken over with no guessing from
pids. The file holds the holder's pid and host for the message the second run prints.
"""

import fcntl
import json
import logging
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from .errors import ConfigError

logger = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"


def lock_path(output_dir: str | Path) -> Path:
    path = Path(output_dir)
    return path.with_name(path.name + LOCK_SUFFIX)


def holder_of(path: Path) -> str:
    try:
        holder = json.loads(path.read_text())
        return f"pid {holder['pid']} on {holder['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def still_linked(descriptor: int, path: Path) -> bool:
    """Whether the locked file is still the one at `path`: a releasing run may have unlinked it after we opened it,
    and a lock on an unlinked file locks nothing."""
    try:
        return os.stat(path).st_ino == os.fstat(descriptor).st_ino
    except FileNotFoundError:
        return False


def open_lock_file(path: Path, output_dir: str | Path) -> int:
    """The lock file's descriptor (created with the folders above it); a place that cannot be written is a one-line
    error, as the output folder's own check would give."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as error:
        raise ConfigError(
            f"Cannot write to output_dir {str(output_dir)!r} ({error.strerror}: {error.filename}). Choose a "
            "writable folder."
        ) from error


def acquire(output_dir: str | Path) -> int:
    """Lock `output_dir` (its lock file's descriptor); a live holder is a one-line error."""
    path = lock_path(output_dir)
    while True:
        descriptor = open_lock_file(path, output_dir)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise ConfigError(
                f"Another run ({holder_of(path)}) is writing {output_dir}: wait for it to finish, or choose another "
                "--output_dir."
            ) from None
        if still_linked(descriptor, path):
            break
        os.close(descriptor)
    if os.fstat(descriptor).st_size:  # the kernel dropped a dead run's lock; its file stayed
        logger.info("Took over %s, left by a run that ended without releasing it (%s).", path, holder_of(path))
    os.ftruncate(descriptor, 0)
    os.write(descriptor, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
    return descriptor


def release(output_dir: str | Path, descriptor: int) -> None:
    """Unlink the lock file, then drop the lock: a run waiting on the old file sees it unlinked and retries."""
    lock_path(output_dir).unlink(missing_ok=True)
    os.close(descriptor)


@contextmanager
def output_dir_lock(output_dir: str | Path, enabled: bool = True):
    """Hold the lock of `output_dir` for the block. `enabled=False` (a distributed run's other processes: the main
    process holds it for them) does nothing."""
    if not enabled:
        yield
        return
    descriptor = acquire(output_dir)
    try:
        yield
    finally:
        release(output_dir, descriptor)
