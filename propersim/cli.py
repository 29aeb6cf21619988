"""The ``propersim`` command line: run, plan, sweep, judge-agreement, status, verify, report, import-log, personas."""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import time
from pathlib import Path

from propersim.errors import UserError


def simulator(cfg, personas, config_path=None):
    """The run's simulator: in this process when ``runtime.address`` is unset, else on Ray."""
    if cfg.runtime.address is None:
        from propersim.sim.local import LocalSimulator
        return LocalSimulator(cfg, personas, config_path)
    from propersim.runtime.driver import RaySimulator
    return RaySimulator(cfg, personas, config_path)


def _cmd_run(args) -> int:
    from propersim.config import ConfigError, load_config
    from propersim.data.rundir import CONFIG, report_index
    from propersim.data.storage import Storage
    from propersim.sim.runner import run
    from trainers.points import Trainings

    overrides = list(args.overrides) + ([f"runtime.address={args.address}"] if args.address else [])
    cfg = load_config(args.config, overrides)
    if args.resume and args.out and Path(args.out) != Path(args.resume):
        raise ConfigError(f"--resume {args.resume} and --out {args.out} name different run directories")
    if args.resume_or_start and (args.resume or args.overwrite):
        raise ConfigError("--resume-or-start decides by itself whether to resume; drop --resume/--overwrite")
    if args.out and ".." in Path(args.out).parts:
        raise ConfigError(f"--out {args.out}: a run directory may not climb out through '..'; give it as an "
                          "absolute path or a URI")
    run_dir = Storage(args.resume or args.out or Path(cfg.run.out_dir) / cfg.run.name)
    resume = bool(args.resume) or (args.resume_or_start and run_dir.is_file(CONFIG))
    start = time.perf_counter()
    summary = run(cfg, run_dir, args.config, overwrite=args.overwrite, resume=resume, simulator=simulator,
                  training=Trainings)
    print(f"run finished in {time.perf_counter() - start:.1f} s: {run_dir}")
    _print_summary(summary)
    print(f"report: {report_index(run_dir)}")
    return 0


def _cmd_plan(args) -> int:
    from propersim.config import load_config
    from propersim.sim.plan import format_plan, plan

    cfg = load_config(args.config, args.overrides)
    if (args.nodes is None) != (args.gpus_per_node is None) or (args.address is None) == (args.nodes is None):
        raise UserError("plan needs the cluster: --nodes N --gpus-per-node G (a declared size) or --address ADDRESS "
                        "(a running Ray cluster), not both")
    if args.address:
        from propersim.runtime.cluster import live_nodes

        nodes, source = live_nodes(args.address), f"Ray cluster at {args.address}"
    else:
        nodes, source = [float(args.gpus_per_node)] * args.nodes, "declared"
    report = plan(cfg, nodes, args.config, args.throughput)
    print(json.dumps(report, indent=1) if args.json else format_plan(report, source))
    return 0


def _cmd_sweep(args) -> int:
    from propersim.sim.sweep import sweep
    from trainers.points import Trainings

    start = time.perf_counter()
    summaries = sweep(args.config, args.overrides, args.grid, args.out, simulator=simulator, training=Trainings)
    print(f"sweep of {len(summaries)} settings finished in {time.perf_counter() - start:.1f} s")
    print((Path(args.out) / "comparison.md").read_text())
    print(f"comparison: {Path(args.out) / 'comparison.csv'}, {Path(args.out) / 'comparison.png'}")
    return 0


def _print_summary(summary: dict) -> None:
    """Per arm: first and last day's mean score and success rate (recommendations scoring >= 3; "-" on a day
    without any) and the last day's recommendations per hour; the normalised scores when the reference arms are
    far enough apart for them to mean something."""
    from propersim.metrics.report import NARROW_SPREAD

    refs = summary.get("references")
    wide = refs is not None and refs["spread"] >= NARROW_SPREAD
    rate = lambda d: "-" if d["success_rate"] is None else f"{d['success_rate']:.2f}"  # noqa: E731
    for arm, data in summary["arms"].items():
        daily = data["daily"]
        first, last = daily[0], daily[-1]
        normalised = f", normalised {data['normalised_mean']:.2f}" if wide else ""
        print(f"  {arm:>12}: mean score day {first['day']} {first['mean_score']:.2f} -> day {last['day']} "
              f"{last['mean_score']:.2f}, success {rate(first)} -> {rate(last)}, "
              f"recs/hour {last['recs_per_hour']:.2f}{normalised}")
    if refs is not None and not wide:
        print(f"  (normalised scores left out: {refs['lower']} and {refs['upper']} are {refs['spread']:.3f} apart, "
              f"under {NARROW_SPREAD}; see summary.json)")


def _cmd_judge_agreement(args) -> int:
    if (args.config is None) == (args.log is None):
        given = "both" if args.log else "neither"
        raise UserError("judge-agreement takes either a CONFIG (simulate and rate with both judges) or --log "
                        f"ORIGINAL_LOG --personas FILE (replay a scored log), not {given}")
    return _judge_agreement_log(args) if args.log else _judge_agreement_config(args)


def _judge_agreement_config(args) -> int:
    from propersim.config import load_config
    from propersim.sim.judge_agreement import judge_agreement_run

    try:
        report = judge_agreement_run(load_config(args.config, args.overrides), args.config, judges=args.judges)
    except ValueError as e:
        raise UserError(str(e)) from None
    ref, other = report["judges"]
    fmt = lambda x: "n/a" if x is None else f"{x:.3f}"  # noqa: E731
    failed = report["failed"]
    print(f"{report['n']} decisions rated by {ref} (driving the run) and {other} ({report['n_failed']} with a judge "
          f"failure left out: {failed['reference']} of {ref}, {failed['other']} of {other}); equal totals "
          f"{fmt(report['total']['agreement'])}")
    print(f"  {'check':>22}  {'agreement':>9}  {'kappa':>6}  {ref + '=1':>10}  {other + '=1':>10}")
    for check, r in report["checks"].items():
        print(f"  {check:>22}  {fmt(r['agreement']):>9}  {fmt(r['kappa']):>6}  {fmt(r['reference_rate']):>10}  "
              f"{fmt(r['other_rate']):>10}")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))
        print(f"written: {args.out}")
    return 0


def _judge_agreement_log(args) -> int:
    from propersim.data.import_log import TICK_SECONDS, import_propersim_log
    from propersim.metrics.log_agreement import format_log_agreement, log_agreement, write_log_agreement
    from propersim.personas.schema import load_personas
    from propersim.sim.log_replay import replay
    from propersim.user.oracle import OracleJudge

    if args.personas is None or args.overrides:
        raise UserError("--log needs --personas FILE and takes no key=value overrides")
    table = import_propersim_log(args.log, persona_id=args.persona_id)
    pid = table["persona_id"][0].as_py() if table.num_rows else args.persona_id
    personas = {p.persona_id: p for p in load_personas(args.personas)}
    if pid not in personas:
        raise UserError(f"persona {pid} of {args.log} is not in {args.personas} (ids {sorted(personas)}); pass the "
                        "file the log's personas were imported to, or --persona-id")
    judge = OracleJudge(TICK_SECONDS, args.noise, args.seed)
    report = log_agreement(replay(table, personas[pid], judge, TICK_SECONDS))
    print(format_log_agreement(report, args.judge))
    if args.out:
        written = write_log_agreement(report, args.out, args.judge)
        print("written: " + ", ".join(str(p) for p in written))
    return 0


def _cmd_report(args) -> int:
    from propersim.data.rundir import CONFIG, load_run_config, report_index
    from propersim.data.storage import Storage
    from propersim.data.store import read_interactions
    from propersim.metrics.report import write_report
    from propersim.sim.wiring import select_personas

    run_dir = Storage(args.run_dir)
    cfg = load_run_config(run_dir) if run_dir.is_file(CONFIG) else None  # imported logs have none
    personas = select_personas(cfg, run_dir.uri(CONFIG) if run_dir.local else None) if cfg else None
    tick = cfg.sim.tick_seconds if cfg else 150
    summary = write_report(run_dir, read_interactions(run_dir), personas, tick)
    _print_summary(summary)
    print(f"report: {report_index(run_dir)}")
    return 0


def _cmd_status(args) -> int:
    from propersim.sim.status import format_status, run_status

    status = run_status(args.run_dir)
    print(json.dumps(status, indent=1) if args.json else format_status(status))
    return 0


def _cmd_verify(args) -> int:
    from propersim.data.store import load_manifest, verify

    problems = verify(args.run_dir)
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    if problems:
        return 1
    shards = load_manifest(args.run_dir)["shards"]
    print(f"ok: {len(shards)} shards, {sum(s['rows'] for s in shards.values())} rows match the manifest")
    return 0


def _cmd_import_log(args) -> int:
    import pyarrow.compute as pc

    from propersim.data.import_log import import_propersim_log
    from propersim.data.rundir import prepare_run_dir
    from propersim.data.schema import DAY
    from propersim.data.store import ShardWriter
    from propersim.metrics.report import write_report

    run_dir = Path(args.out)
    table = import_propersim_log(args.src)
    prepare_run_dir(run_dir, args.overwrite)
    writer = ShardWriter(run_dir)
    for day in pc.unique(table[DAY]).to_pylist():
        writer.write(table.filter(pc.equal(table[DAY], day)), day, "part-00000")
    summary = write_report(run_dir, table)
    print(f"imported {table.num_rows} rows into {run_dir}")
    _print_summary(summary)
    return 0


def _cmd_personas_generate(args) -> int:
    from propersim.personas.generator import generate_personas
    from propersim.personas.schema import dump_personas

    start = time.perf_counter()
    personas = generate_personas(args.n, args.seed)
    dump_personas(personas, args.out)
    print(f"wrote {len(personas)} personas to {args.out} in {time.perf_counter() - start:.1f} s")
    return 0


def _cmd_personas_stats(args) -> int:
    from propersim.personas.schema import load_personas
    from propersim.personas.stats import persona_stats, plot_projection

    personas = load_personas(args.file)
    print(json.dumps(persona_stats(personas), indent=2))
    png = Path(args.plot) if args.plot else Path(args.file).with_suffix(".projection.png")
    plot_projection(personas, png)
    print(f"projection: {png}")
    return 0


def _cmd_personas_import(args) -> int:
    from propersim.personas.importer import import_propersim
    from propersim.personas.schema import dump_personas

    personas, coverage = import_propersim(args.src)
    dump_personas(personas, args.out)
    print(f"imported {len(personas)} personas to {args.out}; fields parsed (not defaulted) per persona:")
    for name, n in coverage.items():
        print(f"  {name:>20}: {n}/{len(personas)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="propersim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run a simulation from a YAML config")
    p.add_argument("config", help="YAML config, e.g. jobs/quickstart.yaml")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. sim.days=3")
    p.add_argument("--out", help="run directory (default: <run.out_dir>/<run.name>)")
    p.add_argument("--overwrite", action="store_true", help="replace a run already in the run directory")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last complete day")
    p.add_argument("--resume-or-start", action="store_true",
                   help="continue the run in the run directory if one was started there, else start it (for job "
                        "entrypoints that a cluster re-runs after a restart)")
    p.add_argument("--address", help="run on Ray: local (start one here) | auto | ray://host:port "
                                     "(same as runtime.address=...)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("plan", help="check that a config fits a cluster and print its placement and LLM cost "
                                    "(requests, tokens, GPU-hours) before running it")
    p.add_argument("config", help="YAML config, e.g. jobs/paper.yaml")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. engines.judge.replicas=4")
    p.add_argument("--address", help="a running Ray cluster to plan on: auto | host:port | ray://host:port")
    p.add_argument("--nodes", type=int, help="a declared cluster: number of nodes (with --gpus-per-node)")
    p.add_argument("--gpus-per-node", type=int, help="a declared cluster: GPUs of each node")
    p.add_argument("--throughput", type=float, metavar="TOK_PER_S",
                   help="tokens (prompt + generated) one engine replica processes per second: adds GPU-hours")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("sweep", help="one run per grid point (e.g. training cadences) and a comparison")
    p.add_argument("config", help="base YAML config, e.g. jobs/ablations/cadence.yaml")
    p.add_argument("overrides", nargs="*", help="key=value overrides applied to every point")
    p.add_argument("--grid", action="append", required=True, metavar="KEY=V1,V2",
                   help="values of one key (repeat for a product), e.g. trainer.cadence=day,days:2,never")
    p.add_argument("--out", required=True, help="directory of the runs and the comparison")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("judge-agreement", help="rate the same decisions with two judges: a simulation rated by the "
                       "oracle and the LLM judge (CONFIG), or a scored log replayed through a judge (--log)")
    p.add_argument("config", nargs="?", help="YAML config with user.judge_engine set (simulation mode)")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. sim.days=1 (simulation mode)")
    p.add_argument("--log", help="an original-format scored run log to replay, e.g. "
                                 "../shared/reference/propersim/runs/persona_10_no_memory_14days.jsonl")
    p.add_argument("--personas", help="with --log: persona file in our format holding the log's persona "
                                      "(e.g. from `propersim personas import-propersim`)")
    p.add_argument("--persona-id", type=int, help="with --log: the log's persona (default: persona_NN in its name)")
    p.add_argument("--judges", nargs=2, metavar=("REFERENCE", "OTHER"),
                   help="simulation mode: the judge that drives the run and the one rated against it, each oracle, "
                        "separate or joint (the LLM judge's modes); default: oracle and user.judge_mode")
    p.add_argument("--judge", choices=["oracle"], default="oracle", help="with --log: the replaying judge")
    p.add_argument("--noise", type=float, default=0.0, help="with --log: the oracle's feedback noise (user.noise)")
    p.add_argument("--seed", type=int, default=0, help="with --log: seed of the oracle's noise")
    p.add_argument("--out", help="simulation mode: write the agreement report as JSON to this file; --log mode: "
                                 "directory for agreement.json and daily_mean.png")
    p.set_defaults(func=_cmd_judge_agreement)

    p = sub.add_parser("report", help="(re)compute summary.json and the HTML report of a run")
    p.add_argument("run_dir")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("status", help="how far a run is, its pace and latest scores (while it runs or after)")
    p.add_argument("run_dir")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("verify", help="check every shard of a run against its manifest")
    p.add_argument("run_dir")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("import-log", help="import an original ProPerSim run log and report it")
    p.add_argument("src")
    p.add_argument("--out", required=True, help="run directory to create")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_import_log)

    pers = sub.add_parser("personas", help="generate, import and describe persona files")
    psub = pers.add_subparsers(dest="personas_command", required=True)
    p = psub.add_parser("generate", help="generate N personas procedurally")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_personas_generate)
    p = psub.add_parser("stats", help="diversity figures and a 2-D projection plot")
    p.add_argument("file")
    p.add_argument("--plot", help="PNG path (default: next to FILE)")
    p.set_defaults(func=_cmd_personas_stats)
    p = psub.add_parser("import-propersim", help="import the original ProPerSim persona format")
    p.add_argument("src")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_personas_import)
    return parser


def _exit_on_sigterm() -> None:
    """SIGTERM (``kill``, a stopped job) unwinds like Ctrl-C: what the run started (vLLM engine processes, Ray
    actors) is closed rather than orphaned, and the exit status says why (143)."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _exit_on_sigterm()
    try:
        return args.func(args)
    except UserError as e:
        print(f"propersim: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        from propersim.errors import StorageWriteError

        if not (isinstance(e, StorageWriteError) or _disk_full(e)):
            raise
        full, day = _disk_full(e), getattr(e, "day", None)
        when = f"day {day}: " if day else ""
        why = "no space left on the device" if full else e.strerror
        kept = f"the days before day {day} are" if day else "what was written before is"
        fix = "free some space" if full else "check the storage (its endpoint, credentials and permissions)"
        print(f"propersim: error: {when}writing {e.filename or 'a file'} failed: {why}; {kept} intact (check with "
              f"`propersim verify RUN_DIR`): {fix}, then continue with --resume RUN_DIR", file=sys.stderr)
        return 1


def _disk_full(e: OSError) -> bool:
    """Whether ``e`` is a full disk or quota (Arrow's writers report it in the message, without an errno)."""
    return e.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(e)


if __name__ == "__main__":
    sys.exit(main())
