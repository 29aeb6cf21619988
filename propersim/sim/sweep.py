"""``propersim sweep``: one run per point of a grid of config overrides, then a comparison of them all.

A grid is ``key=v1,v2,...`` items; the points are their cartesian product. Every point's config is
validated before the first run starts. Each point runs in ``OUT/<key=value,...>/``; a point whose run
finished is not run again and one that stopped part-way is resumed, so a sweep can be re-started.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from propersim.config import ConfigError, ExperimentConfig, load_config
from propersim.data.rundir import CONFIG, SUMMARY
from propersim.sim.local import LocalSimulator
from propersim.sim.simulator import SimulatorFactory


def grid_points(grid: list[str]) -> list[list[str]]:
    """The override lists of every grid point, in order.

    Raises:
        ConfigError: an item is not ``key=v1[,v2...]`` or a key appears twice.
    """
    axes = []
    for item in grid:
        key, eq, values = item.partition("=")
        if not eq or not key or not values:
            raise ConfigError(f"--grid {item!r} is not of the form key=value1,value2")
        axes.append([f"{key}={v}" for v in values.split(",")])
    keys = [a[0].split("=", 1)[0] for a in axes]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--grid names a key twice: {keys}")
    return [list(point) for point in itertools.product(*axes)]


def point_name(point: list[str]) -> str:
    """A run directory name for a grid point."""
    return ",".join(point).replace("/", "_") or "base"


def sweep(config_path: str | Path | None, overrides: list[str], grid: list[str], out_dir: str | Path,
          progress: bool = True, simulator: SimulatorFactory = LocalSimulator,
          training: type | None = None) -> dict[str, dict]:
    """Run every grid point on ``simulator`` with ``training`` (see :func:`~propersim.sim.runner.run`) and write
    the comparison into ``out_dir``.

    Returns:
        setting name -> summary of its run.
    """
    from propersim.metrics.compare import write_comparison
    from propersim.sim.runner import run

    out_dir = Path(out_dir)
    configs: dict[str, ExperimentConfig] = {
        point_name(p): load_config(config_path, [*overrides, *p]) for p in grid_points(grid)}
    summaries = {}
    for i, (name, cfg) in enumerate(configs.items(), 1):
        run_dir = out_dir / name
        if progress:
            print(f"[{i}/{len(configs)}] {name}", flush=True)
        if (run_dir / SUMMARY).is_file():
            summaries[name] = json.loads((run_dir / SUMMARY).read_text())
            continue
        resume = (run_dir / CONFIG).is_file()
        summaries[name] = run(cfg, run_dir, config_path, overwrite=not resume, resume=resume, progress=progress,
                              simulator=simulator, training=training)
    write_comparison(out_dir, summaries)
    return summaries
