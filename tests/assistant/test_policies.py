import pytest

from propersim.assistant.catalogue import CATALOGUE, GENERIC, ITEMS
from propersim.assistant.policies import Observation, make_policy
from propersim.config import AssistantConfig
from propersim.personas.vocab import detect_topics
from propersim.user.oracle import tone_of
from propersim.world.plans import Action

ACT = Action(0, 10, "reading a novel", "living room")


def observations(persona, n=400):
    return [Observation(persona, 1, 200 + t, t, ACT) for t in range(n)]


def decide(persona, **kw):
    return make_policy(AssistantConfig(**kw), seed=1).decide_batch(observations(persona))


def test_never(persona):
    out = decide(persona, policy="never", n_candidates=2)
    assert all(len(c) == 2 and all(x.text is None for x in c) for c in out)


def test_always_recommends_generic_content(persona):
    out = decide(persona, policy="always", n_candidates=1)
    assert all(c[0].text in GENERIC for c in out)


def test_random_rate_and_determinism(persona):
    out = decide(persona, policy="random", p=0.25, n_candidates=1)
    rate = sum(c[0].text is not None for c in out) / len(out)
    assert 0.18 < rate < 0.32
    assert out == decide(persona, policy="random", p=0.25, n_candidates=1)
    # a draw depends on the tick, not on the batch it came in
    single = make_policy(AssistantConfig(policy="random", p=0.25, n_candidates=1), 1).decide_batch(
        observations(persona)[57:58])
    assert single[0] == out[57]


def test_scheduled_every_k_awake_ticks(persona):
    out = decide(persona, policy="scheduled", every_ticks=24, n_candidates=2)
    recs = [i for i, c in enumerate(out) if c[0].text is not None]
    assert recs == list(range(0, 400, 24))
    assert all(out[i][0].text != out[i][1].text and out[i][0].text in ITEMS for i in recs)


def test_catalogue_texts_detect_as_their_topic_and_tone():
    for topic, (casual, formal) in CATALOGUE.items():
        assert topic in detect_topics(casual) and topic in detect_topics(formal), topic
        assert tone_of(casual) == "casual" and tone_of(formal) == "formal", topic
    assert all(not detect_topics(g) for g in GENERIC)


def test_unknown_policy():
    with pytest.raises(ValueError, match="never"):
        make_policy(AssistantConfig(policy="psychic"), 0)
