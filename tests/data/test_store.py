import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from propersim.data import schema as S
from propersim.data.store import ShardWriter, read_interactions, verify


def table(n: int, day: int = 1) -> pa.Table:
    cols = S.empty_columns()
    for i in range(n):
        row = {c: None for c in S.COLUMNS}
        row.update({S.RUN_ID: "r", S.ARM: "a", S.PERSONA_ID: 1, S.DAY: day, S.TICK: i, S.SIM_TIME: (1_700_000_000 + i) * 1000,
                    S.ACTION: "x", S.LOCATION: "y", S.CANDIDATE: 0, S.DELIVERED: True,
                    S.RECOMMENDATION: "No Recommendation", S.IS_RECOMMENDATION: False, S.SCORE_TOTAL: i % 5,
                    S.JUDGE: "oracle", S.POLICY_VERSION: 0, S.ASSISTANT_MODEL: "rule", S.PROMPT_TOKENS: 0,
                    S.COMPLETION_TOKENS: 0})
        for c in S.COLUMNS:
            cols[c].append(row[c])
    return S.to_table(cols)


def test_schema_round_trip(tmp_path):
    w = ShardWriter(tmp_path)
    t1, t2 = table(10, 1), table(7, 2)
    w.write(t1, 1, "part-0")
    w.write(t2, 2, "part-0")
    back = read_interactions(tmp_path)
    assert back.schema.equals(S.INTERACTIONS) and back.equals(pa.concat_tables([t1, t2]))
    assert verify(tmp_path) == []
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["shards"]["interactions/day=1/part-0.parquet"]["rows"] == 10
    assert not list(tmp_path.rglob("*.tmp")), "no temporary files left behind"


def test_a_run_from_before_the_cached_tokens_column_still_reads_verifies_and_resumes(tmp_path):
    old = table(4, 1).drop_columns([S.CACHED_PROMPT_TOKENS])  # a day-1 shard as written before the column
    shard = tmp_path / "interactions/day=1/part-0.parquet"
    shard.parent.mkdir(parents=True)
    pq.write_table(old, shard)
    (tmp_path / "manifest.json").write_text(json.dumps({"shards": {"interactions/day=1/part-0.parquet": {
        "rows": 4, "sha256": hashlib.sha256(shard.read_bytes()).hexdigest()}}}))
    new = table(3, 2).set_column(S.COLUMNS.index(S.CACHED_PROMPT_TOKENS), S.CACHED_PROMPT_TOKENS,
                                 pa.array([5, 5, 5], pa.int32()))
    ShardWriter(tmp_path).write(new, 2, "part-0")  # the resumed run's next day
    assert verify(tmp_path) == []
    back = read_interactions(tmp_path)
    assert back.schema.equals(S.INTERACTIONS)
    assert back[S.CACHED_PROMPT_TOKENS].to_pylist() == [None] * 4 + [5] * 3


def test_to_table_rejects_missing_columns():
    cols = S.empty_columns()
    del cols[S.ARM]
    with pytest.raises(ValueError, match="arm"):
        S.to_table(cols)


def test_writer_rejects_other_schemas(tmp_path):
    with pytest.raises(ValueError, match="schema"):
        ShardWriter(tmp_path).write(pa.table({"x": [1]}), 1, "part-0")


def test_verify_names_corrupted_missing_and_unlisted_shards(tmp_path):
    w = ShardWriter(tmp_path)
    for day in (1, 2, 3):
        w.write(table(5, day), day, "part-0")
    shard = tmp_path / "interactions/day=2/part-0.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    (tmp_path / "interactions/day=3/part-0.parquet").unlink()
    (tmp_path / "interactions/day=1/stray.parquet").write_bytes(b"x")
    problems = verify(tmp_path)
    assert any("day=2/part-0.parquet" in p and "checksum" in p for p in problems)
    assert any("day=3/part-0.parquet" in p and "missing" in p for p in problems)
    assert any("stray.parquet" in p and "not listed" in p for p in problems)
    assert len(problems) == 3


def test_failed_write_leaves_manifest_and_dir_clean(tmp_path):
    w = ShardWriter(tmp_path)
    w.write(table(3), 1, "part-0")
    bad = table(3).set_column(0, S.RUN_ID, pa.array([1, 2, 3]))
    with pytest.raises(ValueError):
        w.write(bad, 1, "part-1")
    assert verify(tmp_path) == [] and not list(tmp_path.rglob("*.tmp"))
