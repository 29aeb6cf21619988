"""Preference pairs from one tick's judged candidates: every two candidates with different totals give a
(prompt, chosen, rejected) pair; ties and candidates the judge failed on give none."""

from __future__ import annotations

from itertools import combinations


def tick_pairs(completions: list[str], totals: list[int | None], delivered: int) -> list[tuple]:
    """``(chosen, rejected, chosen_total, rejected_total, chosen_delivered, rejected_delivered)`` for each pair
    of candidates with different known totals, in candidate order.

    Args:
        completions: each candidate as the model is trained to write it.
        totals: each candidate's judged total (None: the judge failed).
        delivered: index of the candidate that was delivered.
    """
    out = []
    for i, j in combinations(range(len(completions)), 2):
        if totals[i] is None or totals[j] is None or totals[i] == totals[j]:
            continue
        hi, lo = (i, j) if totals[i] > totals[j] else (j, i)
        out.append((completions[hi], completions[lo], totals[hi], totals[lo], hi == delivered, lo == delivered))
    return out
