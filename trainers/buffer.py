"""The replay buffer: which of the pairs gathered so far one training point uses.

The buffer is the run's ``pairs`` dataset itself (on disk, so it survives a crash with nothing extra to save);
a training point samples from the arm's pairs up to and including its day. Policies:

- ``cumulative``: ``size`` pairs drawn at random from all of them (the paper: 200);
- ``half_today``: half from the day's own pairs, half from the earlier ones (topped up from either side).

``no_rec_share`` forces at least that share of the sample to be pairs whose chosen side abstains (the
original's forced "No Recommendation" ratio), and ``rec_vs_rec_share`` at least that share to be pairs of two
recommendations (content contrasts, which a random sample can miss when most pairs are about speaking at all),
as far as there are such pairs.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc

from propersim.data import schema as S
from propersim.data.schema import NO_RECOMMENDATION

MIXES = ("cumulative", "half_today")


def _force(picked: list[int], members: set[int], share: float, rng: random.Random,
           keep: set[int] = frozenset()) -> list[int]:
    """``picked`` with at least ``share`` of it from ``members`` (as far as there are), the same size: other
    picks make room, those outside ``keep`` first."""
    want = min(int(round(share * len(picked))), len(members))
    have = [i for i in picked if i in members]
    extra = rng.sample(sorted(members - set(have)), max(0, want - len(have)))
    others = [i for i in picked if i not in members and i in keep] + \
        [i for i in picked if i not in members and i not in keep]
    return have + extra + others[:max(0, len(picked) - len(have) - len(extra))]


def sample_pairs(pairs: pa.Table, arm: str, day: int, size: int, mix: str = "cumulative",
                 no_rec_share: float | None = None, seed: int = 0,
                 rec_vs_rec_share: float | None = None) -> pa.Table:
    """The pairs of ``arm`` one training point at the end of ``day`` trains on; the same inputs always give
    the same sample.

    Raises:
        ValueError: unknown ``mix``.
    """
    if mix not in MIXES:
        raise ValueError(f"trainer.buffer_mix={mix!r} is not valid; expected one of {MIXES}")
    mine = pairs.filter(pc.and_(pc.equal(pairs[S.ARM], arm), pc.less_equal(pairs[S.DAY], day)))
    rng = random.Random(f"{seed}:{arm}:{day}")
    days = mine[S.DAY].to_pylist()
    if mix == "half_today":
        today = [i for i, d in enumerate(days) if d == day]
        before = [i for i, d in enumerate(days) if d < day]
        take_today = min(len(today), max(size // 2, size - len(before)))
        picked = rng.sample(today, take_today) + rng.sample(before, min(len(before), size - take_today))
    else:
        picked = rng.sample(range(len(days)), min(size, len(days)))
    silent = [(c.strip() == NO_RECOMMENDATION, r.strip() == NO_RECOMMENDATION)
              for c, r in zip(mine[S.CHOSEN].to_pylist(), mine[S.REJECTED].to_pylist())]
    abstains = {i for i, (c, _) in enumerate(silent) if c}
    if no_rec_share:
        picked = _force(picked, abstains, no_rec_share, rng)
    if rec_vs_rec_share:
        contrasts = {i for i, (c, r) in enumerate(silent) if not c and not r}
        picked = _force(picked, contrasts, rec_vs_rec_share, rng, keep=abstains if no_rec_share else set())
    return mine.take(pa.array(sorted(picked), type=pa.int64()))
