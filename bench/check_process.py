"""`python -m bench.check_process`: `engagement check` as cron runs it, then this process's own peak memory.

The peak is read from /proc/self/status (VmHWM: this program's address space only). A parent's
`ru_maxrss` of the child would count the benchmark's own memory, which Linux carries over the exec.
Prints {"peak_mib": ...} as the last line; exits with the check's exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    from cli.main import app

    try:
        app(["check", "--json"], standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    print(json.dumps({"peak_mib": peak_mib()}))
    return code


if __name__ == "__main__":
    sys.exit(main())
