import pytest

from propersim.data import schema as S
from propersim.data.rows import PairRow, rows_to_table
from trainers.buffer import sample_pairs


def pairs_table(spec):
    """spec: (arm, day, chosen) per pair."""
    rows = [PairRow("r", arm, 1, day, k, 0, "text", f"prompt {k}", chosen, f" other {k}\n", 4, 2, True, False)
            for k, (arm, day, chosen) in enumerate(spec)]
    return rows_to_table(rows, PairRow)


def test_cumulative_draws_up_to_size_from_the_arms_pairs_so_far():
    table = pairs_table([("a", d, f" rec {d}\n") for d in (1, 2, 3) for _ in range(50)] + [("b", 1, " x\n")] * 10)
    sample = sample_pairs(table, "a", 2, size=60)
    assert sample.num_rows == 60 and set(sample[S.ARM].to_pylist()) == {"a"}
    assert max(sample[S.DAY].to_pylist()) <= 2, "nothing from later days"
    assert sample.equals(sample_pairs(table, "a", 2, size=60)), "deterministic"
    assert not sample.equals(sample_pairs(table, "a", 2, size=60, seed=1))
    assert sample_pairs(table, "a", 3, size=500).num_rows == 150


def test_half_today_takes_half_from_the_day():
    table = pairs_table([("a", 1, " old\n")] * 100 + [("a", 2, " new\n")] * 100)
    days = sample_pairs(table, "a", 2, size=40, mix="half_today")[S.DAY].to_pylist()
    assert days.count(2) == 20 and days.count(1) == 20
    few_today = pairs_table([("a", 1, " old\n")] * 100 + [("a", 2, " new\n")] * 5)
    days = sample_pairs(few_today, "a", 2, size=40, mix="half_today")[S.DAY].to_pylist()
    assert days.count(2) == 5 and len(days) == 40, "topped up from the earlier days"


def test_no_rec_share_forces_abstention_pairs():
    table = pairs_table([("a", 1, " rec\n")] * 90 + [("a", 1, " No Recommendation\n")] * 10)
    chosen = sample_pairs(table, "a", 1, size=20, no_rec_share=0.3)[S.CHOSEN].to_pylist()
    assert len(chosen) == 20 and sum(c == " No Recommendation\n" for c in chosen) >= 6


def test_unknown_mix_is_refused():
    with pytest.raises(ValueError, match="buffer_mix='fifo'"):
        sample_pairs(pairs_table([("a", 1, " x\n")]), "a", 1, 10, mix="fifo")


def test_rec_vs_rec_share_forces_content_contrasts_and_keeps_the_abstention_share():
    spec = [("a", 1, " No Recommendation\n")] * 60 + [("a", 1, " rec\n")] * 5
    table = pairs_table(spec)  # the rejected side always recommends: 5 content contrasts among 65 pairs
    plain = sample_pairs(table, "a", 1, size=10)[S.CHOSEN].to_pylist()
    both = sample_pairs(table, "a", 1, size=10, no_rec_share=0.5, rec_vs_rec_share=0.4)[S.CHOSEN].to_pylist()
    assert len(both) == 10 and both.count(" rec\n") == 4 > plain.count(" rec\n")
    assert both.count(" No Recommendation\n") == 6, "the abstention share survives"
    few = sample_pairs(table, "a", 1, size=40, rec_vs_rec_share=0.5)[S.CHOSEN].to_pylist()
    assert few.count(" rec\n") == 5 and len(few) == 40, "as far as there are"


def test_shares_over_the_whole_sample_are_refused():
    from propersim.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="at most 1"):
        load_config(None, ["trainer.no_rec_share=0.6", "trainer.rec_vs_rec_share=0.5"])


def test_an_sft_term_needs_dpo():
    from propersim.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="sft_weight=1 needs trainer.method=dpo"):
        load_config(None, ["trainer.method=kto", "trainer.sft_weight=1"])
