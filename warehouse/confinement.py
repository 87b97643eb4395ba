"""Confine the warehouse process to its own files with Landlock, before chDB starts.

chDB is clickhouse-local inside this process, and clickhouse-local lets SQL
read any path the process can (``file('/etc/shadow')``, ``/proc/self/environ``),
where a ClickHouse server keeps ``file()`` inside ``user_files_path``. The
kernel closes that gap: once confined, this process and every thread it starts
afterwards may write only the data path and read only what serving needs (the
interpreter and libraries, a few system files, the served lake folder). chDB
starts threads when it is imported, and a thread started before confinement
stays free, so this runs first and refuses to run once chDB is loaded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from landlock import FSAccess, LandlockError, Ruleset

READ_ONLY = FSAccess.READ_FILE | FSAccess.READ_DIR | FSAccess.EXECUTE
READ_WRITE = FSAccess.all()

SYSTEM_FOLDERS = (
    "/usr", "/lib", "/lib64", "/etc/ssl", "/etc/ca-certificates", "/sys/fs/cgroup", "/sys/devices/system/cpu",
)  # fmt: skip
"""Libraries, time zones, TLS roots for an S3 lake, and the cgroup and CPU facts ClickHouse sizes itself by."""
SYSTEM_FILES = (
    "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf", "/etc/localtime",
    "/etc/services", "/etc/ld.so.cache", "/proc/meminfo", "/proc/cpuinfo", "/proc/stat", "/proc/loadavg",
    "/proc/sys/vm/overcommit_memory", "/sys/kernel/mm/transparent_hugepage/enabled",
)  # fmt: skip
OWN_PROC_FILES = ("maps", "auxv", "stat", "statm", "status", "cgroup", "mountinfo", "limits", "io")
"""This process's own /proc entries ClickHouse reads (stack bounds, memory, and ``auxv``, without which its
allocator's first ``getauxval`` crashes the process); never ``environ`` or ``cmdline``."""
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")


class ConfinementError(RuntimeError):
    """The process cannot be confined as required; the message says why."""


def confine(writable: Iterable[Path], readable: Iterable[Path]) -> None:
    """From now on this process may write only ``writable`` and read only those, ``readable`` and what serving needs."""
    if "chdb" in sys.modules:
        raise ConfinementError("chDB was imported before confinement: its threads would read the whole host")
    try:
        _apply(writable, readable)
    except (LandlockError, OSError) as error:
        raise ConfinementError(
            f"cannot confine the warehouse with Landlock ({error}); it needs Linux 5.13+ with Landlock enabled. "
            "Without it SQL could read any file this process can: only on a machine where that is acceptable, "
            "set LAKEHOUSE_WAREHOUSE_CONFINE=false"
        ) from None


def _apply(writable: Iterable[Path], readable: Iterable[Path]) -> None:
    rules = Ruleset()
    for folder in writable:
        rules.allow(folder, rules=READ_WRITE)
    interpreter = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(__file__).parent]
    for folder in [*readable, *interpreter, *map(Path, SYSTEM_FOLDERS)]:
        if folder.is_dir():
            rules.allow(folder, rules=READ_ONLY)
    for path in [*SYSTEM_FILES, *(f"/proc/{os.getpid()}/{name}" for name in OWN_PROC_FILES)]:
        if Path(path).exists():
            rules.allow(path, rules=FSAccess.READ_FILE)
    for device in DEVICES:
        rules.allow(device, rules=FSAccess.READ_FILE | FSAccess.WRITE_FILE)
    rules.apply()
