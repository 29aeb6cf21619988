"""Agreement between two judges on the same decisions: per-check raw agreement and Cohen's kappa, and agreement
of 0-4 totals (exact, within one point, Pearson correlation, confusion matrix)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from propersim.user.judge import CHECKS, Judge, JudgeRequest, Verdict


class PairedJudge(Judge):
    """Runs a reference judge and another judge on every batch; the reference's verdicts drive the run."""

    def __init__(self, reference: Judge, other: Judge):
        self.reference, self.other = reference, other
        self.name = reference.name
        self.pairs: list[tuple[Verdict, Verdict]] = []

    def judge_batch(self, requests: list[JudgeRequest]) -> list[Verdict]:
        ref, oth = self.reference.judge_batch(requests), self.other.judge_batch(requests)
        self.pairs.extend(zip(ref, oth))
        return ref


def _same_length(a: Sequence, b: Sequence, what: str) -> int:
    """The common length of ``a`` and ``b``.

    Raises:
        ValueError: they differ in length.
    """
    if len(a) != len(b):
        raise ValueError(f"{what} differ in length: {len(a)} vs {len(b)}")
    return len(a)


def cohens_kappa(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Cohen's kappa of two binary label sequences; None when undefined (no items, or chance agreement is 1).

    Raises:
        ValueError: the sequences differ in length.
    """
    n = _same_length(a, b, "label sequences")
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def judge_agreement(reference: Sequence[Verdict], other: Sequence[Verdict]) -> dict:
    """Per-check agreement and kappa of ``other`` against ``reference``, over decisions both judged.

    Returns:
        ``{"n": N, "n_failed": F, "failed": {"reference": failures, "other": failures},
        "checks": {check: {"agreement", "kappa", "reference_rate", "other_rate"}},
        "total": {"agreement": share of equal totals}}``
    """
    pairs = [(r, o) for r, o in zip(reference, other, strict=True) if r.error is None and o.error is None]
    out = {"n": len(pairs), "n_failed": len(reference) - len(pairs),
           "failed": {"reference": sum(r.error is not None for r in reference),
                      "other": sum(o.error is not None for o in other)}, "checks": {}}
    for i, check in enumerate(CHECKS):
        a = [r.scores[i] for r, _ in pairs]
        b = [o.scores[i] for _, o in pairs]
        out["checks"][check] = {
            "agreement": sum(x == y for x, y in zip(a, b)) / len(a) if a else None,
            "kappa": cohens_kappa(a, b),
            "reference_rate": sum(a) / len(a) if a else None,
            "other_rate": sum(b) / len(b) if b else None,
        }
    out["total"] = {"agreement": sum(r.total == o.total for r, o in pairs) / len(pairs) if pairs else None}
    return out


#: The totals a verdict can have.
TOTALS = range(5)


def pearson(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Pearson correlation of two sequences; None when undefined (fewer than two items, or one is constant).

    Raises:
        ValueError: the sequences differ in length.
    """
    n = _same_length(a, b, "sequences")
    if n < 2:
        return None
    ma, mb = sum(a) / n, sum(b) / n
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa, sbb = sum((x - ma) ** 2 for x in a), sum((y - mb) ** 2 for y in b)
    return None if saa == 0 or sbb == 0 else sab / math.sqrt(saa * sbb)


def total_agreement(reference: Sequence[int], other: Sequence[int]) -> dict:
    """How well ``other``'s 0-4 totals agree with ``reference``'s on the same decisions.

    Returns:
        ``{"n", "reference_mean", "other_mean", "exact", "within_1", "pearson", "confusion"}``;
        ``confusion[i][j]`` counts decisions the reference scored i and the other j. Shares and means are
        None when there are no decisions.

    Raises:
        ValueError: the sequences differ in length, or a total is outside 0-4.
    """
    n = _same_length(reference, other, "total sequences")
    bad = sorted({t for t in (*reference, *other) if t not in TOTALS})
    if bad:
        raise ValueError(f"totals {bad} are outside 0-4")
    confusion = [[0] * len(TOTALS) for _ in TOTALS]
    for r, o in zip(reference, other):
        confusion[r][o] += 1
    share = (lambda k: k / n) if n else (lambda k: None)
    return {
        "n": n,
        "reference_mean": sum(reference) / n if n else None,
        "other_mean": sum(other) / n if n else None,
        "exact": share(sum(r == o for r, o in zip(reference, other))),
        "within_1": share(sum(abs(r - o) <= 1 for r, o in zip(reference, other))),
        "pearson": pearson(reference, other),
        "confusion": confusion,
    }
