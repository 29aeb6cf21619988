"""The README's cluster commands on a real local cluster: cluster/start_local.sh (a head with no CPUs, as on
the shipped cluster specs, and a worker node), `ray job submit ... python -m jobs.run`, and
`propersim run --address host:port`."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from propersim.data.store import verify
from tests.conftest import REPO, assert_same_metrics, free_port

pytestmark = pytest.mark.e2e

RUN = ["jobs/baselines.yaml", "sim.personas.count=4", "sim.days=1", "runtime.shards=2"]


@pytest.fixture
def cluster(tmp_path_factory):
    temp = Path(f"/tmp/rt{os.getpid()}")  # short: Ray's socket paths live under it
    bin_dir = Path(sys.executable).parent
    env = {**{k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"},
           "PATH": f"{bin_dir}:{os.environ['PATH']}", "PORT": str(free_port()),
           "DASHBOARD_PORT": str(free_port()), "TEMP_DIR": str(temp), "HEAD_CPUS": "0"}
    started = subprocess.run(["cluster/start_local.sh", "1", "1"], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=300)
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        yield {**env, "RAY_AUTH_MODE": "token"}
    finally:  # stop this cluster only (`ray stop` would stop every Ray on the machine)
        for p in psutil.process_iter(["cmdline"]):
            if str(temp) in " ".join(p.info["cmdline"] or []):
                p.kill()


def test_job_submit_and_address_runs_on_a_two_node_cluster(cluster, tmp_path):
    status = subprocess.run(["ray", "status", "--address", f"127.0.0.1:{cluster['PORT']}"], env=cluster,
                            capture_output=True, text=True, timeout=120)
    assert status.stdout.count("node_") >= 2, status.stdout + status.stderr
    for _ in range(10):  # the head's job agent may not be up yet on a loaded machine ("try again later")
        job = subprocess.run(["ray", "job", "submit", "--address", f"http://127.0.0.1:{cluster['DASHBOARD_PORT']}",
                              "--working-dir", ".", "--runtime-env", "cluster/runtime_env.yaml", "--",
                              "python", "-m", "jobs.run", *RUN, "--out", str(tmp_path / "job")],
                             cwd=REPO, env=cluster, capture_output=True, text=True, timeout=600)
        if "No available agent to submit job" not in job.stderr:
            break
        time.sleep(3)
    assert job.returncode == 0 and "succeeded" in job.stdout + job.stderr, (job.stdout + job.stderr)[-3000:]
    direct = subprocess.run([sys.executable, "-m", "propersim.cli", "run", *RUN, "--address",
                             f"127.0.0.1:{cluster['PORT']}", "--out", str(tmp_path / "direct")],
                            cwd=REPO, env=cluster, capture_output=True, text=True, timeout=600)
    assert direct.returncode == 0, direct.stderr[-3000:]
    for out in ("job", "direct"):
        assert verify(tmp_path / out) == []
        info = json.loads((tmp_path / out / "runtime.json").read_text())
        assert info["backend"] == "ray" and info["shards"] == 2
    assert_same_metrics(json.loads((tmp_path / "job" / "summary.json").read_text())["arms"],
                        json.loads((tmp_path / "direct" / "summary.json").read_text())["arms"])
