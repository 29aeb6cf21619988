import pytest

from propersim.metrics.agreement import cohens_kappa, judge_agreement
from propersim.user.judge import Verdict


def test_kappa_known_values():
    assert cohens_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == 1.0
    assert cohens_kappa([1, 0, 1, 0], [0, 1, 0, 1]) == -1.0
    # 20 items: both say 1 on 8, both 0 on 7, disagree on 5 -> po = .75, pe = .5*.45+.5*.55 = .5
    a = [1] * 8 + [0] * 7 + [1] * 2 + [0] * 3
    b = [1] * 8 + [0] * 7 + [0] * 2 + [1] * 3
    assert cohens_kappa(a, b) == pytest.approx((0.75 - 0.5) / 0.5)
    assert cohens_kappa([1, 1], [1, 1]) is None and cohens_kappa([], []) is None
    with pytest.raises(ValueError):
        cohens_kappa([1], [1, 0])


def test_judge_agreement_skips_failures():
    ok = Verdict((1, 1, 1, 1, 1), ("",) * 5)
    off = Verdict((0, 1, 1, 1, 1), ("",) * 5)
    failed = Verdict.failed("parse")
    rep = judge_agreement([ok, ok, failed, ok], [ok, off, failed, failed])
    assert rep["n"] == 2 and rep["n_failed"] == 2 and rep["failed"] == {"reference": 1, "other": 2}
    rep = judge_agreement([ok, ok, ok, ok], [ok, off, failed, ok])
    assert rep["n"] == 3 and rep["n_failed"] == 1
    assert rep["checks"]["preference"]["agreement"] == pytest.approx(2 / 3)
    assert rep["checks"]["timing"]["agreement"] == 1.0 and rep["total"]["agreement"] == pytest.approx(2 / 3)


def test_total_agreement_counts_exact_within_one_and_confusion():
    from propersim.metrics.agreement import total_agreement

    rep = total_agreement([2, 2, 3, 0], [2, 3, 3, 2])
    assert rep["n"] == 4 and rep["exact"] == 0.5 and rep["within_1"] == 0.75
    assert rep["reference_mean"] == 1.75 and rep["other_mean"] == 2.5
    assert rep["confusion"][2] == [0, 0, 1, 1, 0] and rep["confusion"][0][2] == 1
    assert sum(map(sum, rep["confusion"])) == 4
    with pytest.raises(ValueError):
        total_agreement([5], [1])
    assert total_agreement([], [])["exact"] is None


def test_pearson_known_values():
    from propersim.metrics.agreement import pearson

    assert pearson([0, 1, 2], [0, 2, 4]) == pytest.approx(1.0)
    assert pearson([0, 1, 2], [4, 2, 0]) == pytest.approx(-1.0)
    assert pearson([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert pearson([2, 2], [1, 3]) is None and pearson([1], [1]) is None
