"""Experiment trackers of a run (TensorBoard, Weights & Biases, MLflow), fed the resolved config, each day's
summary entry, the training records and a few sample rows.

Every metric's step is the simulated day, so a resumed run continues the same curves. The tracker packages
are imported only when a tracker is made (:func:`make_trackers`), so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import time
from abc import ABC, abstractmethod
from pathlib import Path

from propersim.config import ConfigError
from propersim.errors import UserError

TRACKERS = ("tensorboard", "wandb", "mlflow")
#: Per-arm figures of a summary.json daily entry that are logged (``criteria`` is logged per criterion).
DAY_METRICS = ("mean_score", "sem", "recs_per_hour", "success_rate")
#: Figures of a training.jsonl record that are logged, per adapter.
TRAINING_METRICS = ("pairs", "loss", "train_s", "push_s", "push_bytes")
SAMPLE_COLUMNS = ("arm", "persona_id", "day", "tick", "action", "recommendation", "score_total", "reasons")
#: Rows of the sample table logged per day (W&B).
MAX_SAMPLE_ROWS = 20
#: The tag that finds a run's MLflow run again on --resume.
MLFLOW_RUN_TAG = "propersim.run_id"
EXPERIMENT = "propersim"

_INSTALL = "pip install 'propersim[trackers]'"
#: tracker -> (module to import, package that provides it, how to install it), in import order.
_PACKAGES = {
    "tensorboard": (("tensorboard", "tensorboard", _INSTALL),
                    ("torch.utils.tensorboard", "torch", "pip install torch")),
    "wandb": (("wandb", "wandb", _INSTALL),),
    # Not in the extra: every mlflow-skinny 2.x/3.x pins cachetools<8, older than the CPU stack's.
    "mlflow": (("mlflow", "mlflow-skinny", "pip install mlflow-skinny"),),
}


class TrackerUnavailableError(UserError, ImportError):
    """A tracker named in ``run.trackers`` needs a package that is not installed."""


def day_scalars(arms: dict[str, dict]) -> list[tuple[str, float]]:
    """``(name, value)`` of one day: per arm, the :data:`DAY_METRICS`, each criterion and the token rate.

    Args:
        arms: arm -> that day's summary.json daily entry plus ``tokens_per_persona_day``.
    Returns:
        Names ``<arm>/<metric>`` and ``<arm>/criteria/<name>``; null values are left out.
    """
    out = []
    for arm, entry in arms.items():
        figures = {m: entry.get(m) for m in (*DAY_METRICS, "tokens_per_persona_day")}
        figures.update({f"criteria/{name}": v for name, v in (entry.get("criteria") or {}).items()})
        out += [(f"{arm}/{name}", float(v)) for name, v in figures.items() if v is not None]
    return out


def training_scalars(records: list[dict]) -> list[tuple[str, float]]:
    """``(name, value)`` of training records: ``train/<arm>/<adapter>/<metric>`` for each of
    :data:`TRAINING_METRICS` a record has (a skipped adapter has ``pairs`` only); null values are left out."""
    return [(f"train/{r['arm']}/{r['adapter']}/{m}", float(r[m]))
            for r in records for m in TRAINING_METRICS if r.get(m) is not None]


def flatten_config(config: dict, prefix: str = "") -> dict[str, str]:
    """A nested config as ``{"group.key": "value"}``; lists and null values are written as JSON."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(flatten_config(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value if isinstance(value, str) else json.dumps(value)
    return out


def wandb_run_id(run_id: str) -> str:
    """A W&B run id for ``run_id``: the same every time, at most 64 characters of ``[a-z0-9]``, readable
    (the id's own letters and digits) and distinct (a hash of the whole id)."""
    return re.sub("[^a-z0-9]", "", run_id.lower())[:48] + hashlib.sha256(run_id.encode()).hexdigest()[:16]


class Tracker(ABC):
    """One experiment tracker of a run."""

    name: str

    @abstractmethod
    def log_config(self, config: dict) -> None:
        """Log the resolved config (a nested dict), once per run."""

    @abstractmethod
    def log_scalars(self, step: int, scalars: list[tuple[str, float]]) -> None:
        """Log ``(name, value)`` pairs at ``step`` (a day)."""

    def log_day(self, day: int, arms: dict[str, dict]) -> None:
        """Log one day's figures per arm (see :func:`day_scalars`)."""
        self.log_scalars(day, day_scalars(arms))

    def log_training(self, day: int, records: list[dict]) -> None:
        """Log the training records of ``day`` (see :func:`training_scalars`)."""
        self.log_scalars(day, training_scalars(records))

    def log_samples(self, day: int, rows: list[dict]) -> None:
        """Log a few of the day's rated rows (dicts with :data:`SAMPLE_COLUMNS`); only some trackers do."""

    @abstractmethod
    def close(self) -> None:
        """Flush and end the run's tracking."""


class TensorBoardTracker(Tracker):
    """Event files under RUN_DIR/tensorboard/. The writer opens at the first day logged: on resume, that day
    is the ``purge_step``, so TensorBoard drops the events an earlier attempt wrote from it on."""

    name = "tensorboard"

    def __init__(self, run_dir: Path, run_id: str, resume: bool, modules: dict):
        self.log_dir, self.run_id, self.resume = run_dir / "tensorboard", run_id, resume
        self._writer_cls, self._writer = modules["torch.utils.tensorboard"].SummaryWriter, None

    def _open(self, step: int):
        if self._writer is None:
            self._writer = self._writer_cls(str(self.log_dir), purge_step=step if self.resume else None)
        return self._writer

    def log_config(self, config: dict) -> None:
        if not self.resume:  # a resumed run logged it already
            text = json.dumps(config, indent=2, default=str)
            # Indented lines are a Markdown code block, which TensorBoard's text tab shows verbatim.
            self._open(0).add_text("config", "\n".join("    " + line for line in text.splitlines()), 0)

    def log_scalars(self, step: int, scalars: list[tuple[str, float]]) -> None:
        writer = self._open(step)
        for name, value in scalars:
            writer.add_scalar(name, value, step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class WandbTracker(Tracker):
    """A W&B run under RUN_DIR/wandb; mode from ``WANDB_MODE`` (default offline: nothing leaves the machine
    until ``wandb sync``). Its id comes from the run id, so --resume continues the same run."""

    name = "wandb"

    def __init__(self, run_dir: Path, run_id: str, resume: bool, modules: dict):
        self._wandb = modules["wandb"]
        self.run = self._wandb.init(
            project=os.environ.get("WANDB_PROJECT", EXPERIMENT), name=run_id, id=wandb_run_id(run_id),
            resume="allow", dir=str(run_dir), mode=os.environ.get("WANDB_MODE", "offline"),
            # The run's own logs are the console record; wrapping stdout would fight the progress bars.
            settings=self._wandb.Settings(console="off"))

    def log_config(self, config: dict) -> None:
        self.run.config.update(config, allow_val_change=True)

    def log_scalars(self, step: int, scalars: list[tuple[str, float]]) -> None:
        # Several calls at one step merge into one row; W&B ignores a step lower than one logged before
        # (a day replayed on resume keeps its first values).
        if scalars:
            self.run.log(dict(scalars), step=step)

    def log_samples(self, day: int, rows: list[dict]) -> None:
        if rows:
            data = [[row.get(c) for c in SAMPLE_COLUMNS] for row in rows[:MAX_SAMPLE_ROWS]]
            self.run.log({"samples": self._wandb.Table(columns=list(SAMPLE_COLUMNS), data=data)}, step=day)

    def close(self) -> None:
        self.run.finish()


class MlflowTracker(Tracker):
    """An MLflow run in experiment ``propersim``, tagged with the run id so that --resume finds it again.
    Tracking URI from ``MLFLOW_TRACKING_URI``, else a local file store at RUN_DIR/mlruns (no server)."""

    name = "mlflow"

    def __init__(self, run_dir: Path, run_id: str, resume: bool, modules: dict):
        mlflow = modules["mlflow"]
        self.resume, self._entities = resume, mlflow.entities
        self.tracking_uri = os.environ.get("MLFLOW_TRACKING_URI") or (run_dir.resolve() / "mlruns").as_uri()
        if self.tracking_uri.startswith("file:"):
            # mlflow >= 3.7 refuses its file store unless opted in; it is the one store that needs no server.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        # Limits of the tracking API: https://mlflow.org/docs/latest/api_reference/rest-api.html#log-batch
        validation = importlib.import_module("mlflow.utils.validation")
        self._max_value = getattr(validation, "MAX_PARAM_VAL_LENGTH", 500)
        self._max_params = getattr(validation, "MAX_PARAMS_TAGS_PER_BATCH", 100)
        self._max_metrics = getattr(validation, "MAX_METRICS_PER_BATCH", 1000)
        self.client = client = mlflow.tracking.MlflowClient(self.tracking_uri)
        experiment = client.get_experiment_by_name(EXPERIMENT)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(EXPERIMENT)
        quote = '"' if "'" in run_id else "'"  # mlflow's filter strings have no escapes
        found = client.search_runs([experiment_id], max_results=1,
                                   filter_string=f"tags.`{MLFLOW_RUN_TAG}` = {quote}{run_id}{quote}")
        if found:
            self.mlflow_run_id = found[0].info.run_id
            client.update_run(self.mlflow_run_id, status="RUNNING")
        else:
            run = client.create_run(experiment_id, tags={MLFLOW_RUN_TAG: run_id}, run_name=run_id)
            self.mlflow_run_id = run.info.run_id

    def log_config(self, config: dict) -> None:
        if self.resume:  # params cannot change once logged
            return
        params = [self._entities.Param(k, v[:self._max_value]) for k, v in flatten_config(config).items()]
        for i in range(0, len(params), self._max_params):
            self.client.log_batch(self.mlflow_run_id, params=params[i:i + self._max_params])

    def log_scalars(self, step: int, scalars: list[tuple[str, float]]) -> None:
        now = int(time.time() * 1000)
        metrics = [self._entities.Metric(name, value, now, step) for name, value in scalars]
        for i in range(0, len(metrics), self._max_metrics):
            self.client.log_batch(self.mlflow_run_id, metrics=metrics[i:i + self._max_metrics])

    def close(self) -> None:
        self.client.set_terminated(self.mlflow_run_id)


_CLASSES = {"tensorboard": TensorBoardTracker, "wandb": WandbTracker, "mlflow": MlflowTracker}


def _import(tracker: str) -> dict:
    modules = {}
    for module, package, install in _PACKAGES[tracker]:
        try:
            modules[module] = importlib.import_module(module)
        except ImportError as e:
            raise TrackerUnavailableError(f"run.trackers: {tracker} needs the `{package}` package: {install}") from e
    return modules


def make_trackers(names: list[str], run_dir: Path, run_id: str, resume: bool) -> list[Tracker]:
    """The trackers of ``run.trackers``, each started for this run.

    Args:
        names: tracker names from :data:`TRACKERS` (repeats are ignored).
        run_dir: the run directory; local tracker files go under it.
        run_id: the run's id; a resumed run with the same id continues the same tracked run.
        resume: whether this is a --resume of an earlier attempt.
    Returns:
        One started :class:`Tracker` per name, in order.
    Raises:
        ConfigError: a name is not in :data:`TRACKERS`.
        TrackerUnavailableError: a tracker's package is not installed.
    """
    unknown = [n for n in names if n not in TRACKERS]
    if unknown:
        raise ConfigError(f"run.trackers: unknown tracker(s) {', '.join(map(repr, unknown))}; "
                          f"expected some of: {', '.join(TRACKERS)}")
    modules = {name: _import(name) for name in dict.fromkeys(names)}  # all missing packages fail before any start
    trackers: list[Tracker] = []
    try:
        for name, mods in modules.items():
            trackers.append(_CLASSES[name](Path(run_dir), run_id, resume, mods))
    except BaseException:
        for tracker in trackers:
            tracker.close()
        raise
    return trackers
