"""A run whose RUN_DIR is on a real S3-compatible object store (SeaweedFS on loopback): storage operations,
the lease lock, and `propersim run | verify | report | status` on an ``s3://`` URI with the same rows as on a
local disk."""

import json
import time

import pyarrow as pa
import pytest

from propersim.data.storage import Storage

pytestmark = pytest.mark.integration


def uri(name: str) -> str:
    return f"s3://propersim/{name}?allow_bucket_creation=true"


def test_storage_operations_on_an_object_store(s3_server):
    store = Storage(uri("ops"))
    assert not store.local and store.uri("a.txt") == "s3://propersim/ops/a.txt"
    store.write("a/b.txt", "one")
    store.write("a/b.txt", "two")  # replaced whole
    store.append_text("log.jsonl", "x\n")
    store.append_text("log.jsonl", "y\n")
    table = pa.table({"v": [1, 2, 3]})
    store.write_table("t/part.parquet", table)
    store.move("t/part.parquet", "u/day=1/part.parquet")
    assert store.read_text("a/b.txt") == "two" and store.read_text("log.jsonl") == "x\ny\n"
    assert store.files() == ["a/b.txt", "log.jsonl", "u/day=1/part.parquet"]
    assert store.read_table("u/day=1/part.parquet").equals(table) and store.num_rows("u/day=1/part.parquet") == 3
    store.put_dir({"adapter_config.json": b"{}", "w/x.bin": b"\0" * 10}, "adapters/v1")
    assert store.get_dir("adapters/v1") == {"adapter_config.json": b"{}", "w/x.bin": b"\0" * 10}
    store.delete("a")
    assert not store.exists("a/b.txt")


def test_the_lease_refuses_a_second_driver_and_is_taken_over_once_stale(s3_server, monkeypatch):
    from propersim.data import rundir
    from propersim.data.rundir import LOCK, run_lock
    from propersim.errors import RunInUseError

    store = Storage(uri("lease"))
    with run_lock(store):
        holder = json.loads(store.read_text(LOCK))["holder"]
        with pytest.raises(RunInUseError, match=f"is in use by {holder}"):
            with run_lock(Storage(uri("lease"))):
                pass
    assert not store.exists(LOCK), "released at the end"
    # a driver that died: its lease was not renewed and expired
    store.write(LOCK, json.dumps({"holder": "pid 1 on gone", "expires": time.time() - 1}))
    with run_lock(store):
        assert json.loads(store.read_text(LOCK))["holder"] != "pid 1 on gone"
    # two drivers that wrote their leases at once: the one whose lease was overwritten stops
    race = Storage(uri("lease-race"))
    monkeypatch.setattr(rundir.time, "sleep", lambda s: race.write(
        LOCK, json.dumps({"holder": "pid 2 on other", "expires": time.time() + 100})))
    with pytest.raises(RunInUseError, match="in use by pid 2 on other"):
        with run_lock(race):
            pass


@pytest.mark.e2e
def test_a_run_on_s3_verifies_reports_resumes_and_equals_the_local_run(s3_server, tmp_path, capsys):
    from propersim import cli
    from propersim.data.rundir import CHECKPOINTS_DIR, INTERACTIONS_DIR
    from propersim.data.store import read_dataset
    from tests.conftest import assert_same_metrics

    args = ["jobs/baselines.yaml", "sim.days=2", "sim.personas.count=3"]
    remote = uri("runs/b")
    assert cli.main(["run", *args, "--out", str(tmp_path / "local")]) == 0
    assert cli.main(["run", *args, "--out", remote]) == 0
    store = Storage(remote)
    assert store.is_file("report/index.html") and store.is_file("summary.json")
    assert read_dataset(store, INTERACTIONS_DIR).equals(read_dataset(tmp_path / "local", INTERACTIONS_DIR))
    assert_same_metrics(json.loads((tmp_path / "local" / "summary.json").read_text())["arms"],
                        json.loads(store.read_text("summary.json"))["arms"])
    capsys.readouterr()
    assert cli.main(["verify", remote]) == 0 and "ok" in capsys.readouterr().out
    assert cli.main(["status", remote]) == 0 and "days done: 2 of 2" in capsys.readouterr().out
    assert cli.main(["report", remote]) == 0
    # a restarted job whose driver died before day 2's checkpoint continues it, with the same rows
    store.delete(f"{CHECKPOINTS_DIR}/day=2")
    assert cli.main(["run", *args, "--out", remote, "--resume-or-start"]) == 0
    assert '"resumed_at_day": 2' in store.read_text("runtime.json")
    assert read_dataset(store, INTERACTIONS_DIR).equals(read_dataset(tmp_path / "local", INTERACTIONS_DIR))
    # a corrupted object is caught by verify
    shard = next(f for f in store.files(INTERACTIONS_DIR) if f.endswith(".parquet"))
    store.write(shard, store.read_bytes(shard)[:-10])
    assert cli.main(["verify", remote]) == 1


def test_a_bucket_that_cannot_be_created_is_one_line(s3_server, capsys):
    from propersim import cli

    assert cli.main(["run", "jobs/baselines.yaml", "sim.days=1", "--out",
                     "s3://ab/runs/b?allow_bucket_creation=true"]) == 1  # bucket names have 3 characters or more
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "writing s3://ab/runs/b" in err and "check the storage" in err, err
