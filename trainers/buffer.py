"""The replay buffer: which of the pairs gathered so far one training point uses.

The buffer is the run's ``pairs`` dataset itself (on disk, so it survives a crash with nothing extra to save);
a training point samples from the arm's pairs up to and including its day. Policies:

- ``cumulative``: ``size`` pairs drawn at random from all of them (the paper: 200);
- ``half_today``: half from the day's own pairs, half from the earlier ones (topped up from either side).

``no_rec_share`` forces at least that share of the sample to be pairs whose chosen side abstains (the
original's forced "No Recommendation" ratio), as far as there are such pairs.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc

from propersim.data import schema as S
from propersim.data.schema import NO_RECOMMENDATION

MIXES = ("cumulative", "half_today")


def sample_pairs(pairs: pa.Table, arm: str, day: int, size: int, mix: str = "cumulative",
                 no_rec_share: float | None = None, seed: int = 0) -> pa.Table:
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
    if no_rec_share:
        abstains = {i for i, c in enumerate(mine[S.CHOSEN].to_pylist()) if c.strip() == NO_RECOMMENDATION}
        want = min(int(round(no_rec_share * len(picked))), len(abstains))
        have = [i for i in picked if i in abstains]
        extra = rng.sample(sorted(abstains - set(have)), max(0, want - len(have)))
        others = [i for i in picked if i not in abstains]
        picked = have + extra + others[:max(0, len(picked) - len(have) - len(extra))]
    return mine.take(pa.array(sorted(picked), type=pa.int64()))
