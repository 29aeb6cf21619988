from dataclasses import replace

import pytest

from propersim.assistant.oracle_best import OracleBestPolicy, topic_text
from propersim.assistant.policies import Observation, make_policy
from propersim.config import AssistantConfig, ConfigError, load_config
from propersim.personas.generator import generate_personas
from propersim.personas.schema import Frequency, TopicPreference
from propersim.personas.vocab import detect_kinds, detect_topics
from propersim.sim.group import Arm, PersonaGroup
from propersim.user.oracle import OracleJudge, tone_of
from propersim.world.clock import Clock
from propersim.world.plans import Action
from propersim.world.procedural import ProceduralPlanner

TICK = 150
H = 3600 // TICK  # ticks per hour
COOKING = Action(0, 10_000, "cooking dinner with a new recipe", "kitchen")
LAUNDRY = Action(0, 10_000, "doing the laundry", "laundry room")
SHOWER = Action(0, 10_000, "taking a shower", "bathroom")


def with_prefs(persona, **changes):
    return replace(persona, preferences=replace(persona.preferences, **changes))


def live_day(persona, action, wake_hour=7.0, bed_hour=23.0, day=1, policy=None):
    """Drive the policy through one day the way PersonaGroup does (decide, then observe the delivered one)."""
    policy = policy or OracleBestPolicy(AssistantConfig(policy="oracle_best", n_candidates=1), 0, TICK)
    wake = int(wake_hour * H)
    recs = []
    for k, tick in enumerate(range(wake, int(bed_hour * H))):
        action_now = action(tick) if callable(action) else action
        text = policy.decide_batch([Observation(persona, day, tick, k, action_now)])[0][0].text
        policy.observe(persona.persona_id, day, tick, action_now.description, text, None)
        if text is not None:
            recs.append((tick, text))
    return recs


def run_arms(personas, days=2):
    clock = Clock(TICK)
    arms = [Arm("oracle_best", make_policy(AssistantConfig(policy="oracle_best", n_candidates=1), 0, TICK)),
            Arm("scheduled", make_policy(AssistantConfig(policy="scheduled", every_ticks=48, n_candidates=1), 0)),
            Arm("never", make_policy(AssistantConfig(policy="never", n_candidates=1), 0))]
    group = PersonaGroup(personas, arms, ProceduralPlanner(clock, 0), OracleJudge(TICK), clock, "t")
    return [group.run_day(d).to_pylist() for d in range(1, days + 1)]


@pytest.fixture(scope="module")
def generated_rows():
    personas = generate_personas(12, seed=3)
    return personas, [r for day in run_arms(personas) for r in day]


def test_passes_the_oracle_on_most_ticks_of_generated_personas(generated_rows):
    personas, rows = generated_rows
    mine = [r for r in rows if r["arm"] == "oracle_best"]
    # Every check passes, but for the preference check of an abstention while a liked topic fits: the
    # frequency caps and receptive windows make that missed opportunity unavoidable on most such ticks.
    checks = ("score_frequency_over", "score_frequency_under", "score_timing", "score_communication_safety")
    passed = [all(r[c] for c in checks) and (r["score_preference"] or not r["is_recommendation"]) for r in mine]
    assert sum(passed) / len(mine) > 0.9
    recs = [r for r in mine if r["is_recommendation"]]
    assert recs, "it should recommend something"
    # what it says is always in the persona's tone and length, never too often
    assert all(r["score_communication_safety"] == 1 and r["score_frequency_over"] == 1 for r in recs)
    # fitting recommendations are the rule, rhythm-keeping ones the exception
    assert sum(r["score_preference"] for r in recs) / len(recs) > 0.6
    means = {arm: sum(r["score_total"] for r in rows if r["arm"] == arm) / len(mine)
             for arm in ("oracle_best", "scheduled", "never")}
    assert means["oracle_best"] > max(means["scheduled"], means["never"])


def test_recommends_only_what_the_persona_may_want(generated_rows):
    personas, rows = generated_rows
    by_id = {p.persona_id: p for p in personas}
    for r in rows:
        if r["arm"] != "oracle_best" or not r["is_recommendation"]:
            continue
        prefs = by_id[r["persona_id"]].preferences
        topics = detect_topics(r["recommendation"])
        assert set(topics) & {t.topic for t in prefs.liked}
        assert not set(topics) & (set(prefs.disliked) | set(prefs.sensitive_topics))
        assert not detect_kinds(r["action"]) & set(prefs.do_not_disturb)


def test_respects_window_and_daily_caps(persona):
    f = Frequency(max_per_window=2, window_hours=1.0, max_per_day=5, max_gap_hours=12.0)
    p = with_prefs(persona, liked=(TopicPreference("cooking"),), receptive_hours=((0.0, 24.0),), frequency=f,
                   do_not_disturb=())
    ticks = [t for t, _ in live_day(p, COOKING)]
    assert len(ticks) == f.max_per_day
    assert all(sum(t - H < u <= t for u in ticks) <= f.max_per_window for t in ticks)
    # the next day starts afresh
    policy = OracleBestPolicy(AssistantConfig(policy="oracle_best", n_candidates=1), 0, TICK)
    live_day(p, COOKING, policy=policy)
    assert len(live_day(p, COOKING, day=2, policy=policy)) == f.max_per_day


def test_abstains_when_nothing_fits_and_the_rhythm_allows(persona):
    # Maya likes music while creative/relaxing and recipes while cooking; laundry fits neither
    p = with_prefs(persona, receptive_hours=((0.0, 24.0),),
                   frequency=replace(persona.preferences.frequency, max_gap_hours=20.0))
    assert live_day(p, LAUNDRY, bed_hour=22.0) == []


def test_never_recommends_disliked_or_sensitive_topics(persona):
    liked = (TopicPreference("cooking", ("cooking",)),)
    for field in ("disliked", "sensitive_topics"):
        p = with_prefs(persona, liked=liked, receptive_hours=((0.0, 24.0),), **{field: ("cooking",)})
        assert live_day(p, COOKING) == []


def test_keeps_the_rhythm_when_nothing_fits(persona):
    gap = 2.0
    p = with_prefs(persona, receptive_hours=((0.0, 24.0),), do_not_disturb=(),
                   frequency=Frequency(max_per_window=3, window_hours=3.0, max_per_day=20, max_gap_hours=gap))
    wake = 7 * H
    ticks = [wake] + [t for t, _ in live_day(p, LAUNDRY)]
    assert len(ticks) > 3
    assert max(b - a for a, b in zip(ticks, ticks[1:])) <= gap * H
    # but no more often than the rhythm needs
    assert min(b - a for a, b in zip(ticks, ticks[1:])) > gap * H / 2


def test_keeps_the_rhythm_at_the_last_receptive_moment_before_the_deadline(persona):
    # receptive 8-9 and 14-15, a gap of 6 h allowed, nothing fits: waking at 7, waiting past 9 would leave
    # 13:00 without a recommendation, so it recommends at the end of the 8-9 window
    p = with_prefs(persona, receptive_hours=((8.0, 9.0), (14.0, 15.0)), do_not_disturb=(),
                   frequency=Frequency(max_per_window=1, window_hours=2.0, max_per_day=4, max_gap_hours=6.0))
    ticks = [t for t, _ in live_day(p, LAUNDRY, bed_hour=13.0)]
    assert ticks == [9 * H - 1]


def test_only_at_receptive_moments_unless_overdue(persona):
    p = with_prefs(persona, liked=(TopicPreference("cooking", ("cooking",)),), do_not_disturb=(),
                   receptive_hours=((18.0, 19.0),),
                   frequency=Frequency(max_per_window=1, window_hours=1.0, max_per_day=10, max_gap_hours=20.0))
    ticks = [t for t, _ in live_day(p, COOKING)]
    assert ticks and all(18 * H <= t < 19 * H for t in ticks)
    # overdue: with a 3 h gap allowed and the only window at 18-19, it recommends once the gap has passed
    p = with_prefs(p, frequency=replace(p.preferences.frequency, max_gap_hours=3.0))
    ticks = [t for t, _ in live_day(p, COOKING)]
    assert ticks[0] == 10 * H  # woke at 7, too rare from 10 on
    assert all(b - a <= 3 * H for a, b in zip(ticks, ticks[1:]))


def test_never_during_do_not_disturb(persona):
    p = with_prefs(persona, liked=(TopicPreference("cooking"),), receptive_hours=((0.0, 24.0),),
                   do_not_disturb=("hygiene",),
                   frequency=Frequency(max_per_window=5, window_hours=1.0, max_per_day=30, max_gap_hours=1.0))
    assert live_day(p, SHOWER) == []
    recs = live_day(p, lambda tick: SHOWER if (tick // H) % 2 else COOKING)
    assert recs and all((t // H) % 2 == 0 for t, _ in recs)


@pytest.mark.parametrize("tone", ["casual", "formal"])
def test_speaks_in_the_persona_tone(persona, tone):
    prefs = replace(persona.preferences, tone=tone, length="short")
    for topic in ("music", "cooking", "reading", "gardening", "organizing"):
        text = topic_text(prefs, topic)
        assert topic in detect_topics(text) and tone_of(text) == tone
    # a variant that would touch a topic the persona avoids is not used
    text = topic_text(replace(prefs, sensitive_topics=("nutrition",)), "gardening")
    assert text is None or "nutrition" not in detect_topics(text)


def test_rotates_between_fitting_topics(persona):
    both = (TopicPreference("cooking", ("cooking",)), TopicPreference("music", ("cooking",)))
    p = with_prefs(persona, liked=both, receptive_hours=((0.0, 24.0),),
                   frequency=Frequency(max_per_window=1, window_hours=1.0, max_per_day=6, max_gap_hours=5.0))
    topics = [detect_topics(text)[0] for _, text in live_day(p, COOKING)]
    assert set(topics) == {"cooking", "music"} and all(a != b for a, b in zip(topics, topics[1:]))


def test_configured_as_an_arm(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("arms:\n  upper:\n    policy: oracle_best\n    n_candidates: 1\n")
    assert load_config(path).arms["upper"].policy == "oracle_best"
    with pytest.raises(ConfigError, match="oracle_best") as e:
        load_config(None, ["assistant.policy=oracle"])
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="tick_seconds"):
        make_policy(AssistantConfig(policy="oracle_best"), 0)


def test_interaction_rows_name_it(generated_rows):
    _, rows = generated_rows
    assert {r["assistant_model"] for r in rows if r["arm"] == "oracle_best"} == {"oracle_best"}
