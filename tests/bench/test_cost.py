"""The cost benchmark's estimate of prompt tokens a prefix cache misses, on the judge's real prompts."""

from jobs.bench.cost import CountingEngine
from propersim.llm.engine import GenerationRequest
from propersim.user.judge import CHECKS, JudgeRequest
from propersim.user.llm_judge import LLMJudge
from propersim.user.memory import EvaluativeMemory
from propersim.world.clock import Clock
from propersim.world.plans import Action


class WordTokenizer:
    """A fake tokenizer: one token per whitespace-separated word, no chat template."""

    chat_template = None

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": text.split()}


def words(text: str) -> int:
    return len(text.split())


def test_a_tick_misses_its_head_once_each_candidate_once_and_every_check(persona):
    engine = CountingEngine(WordTokenizer(), "words", "separate")
    judge = LLMJudge(engine, Clock())
    reqs = [JudgeRequest(persona, 1, 288, 12.0, 216, Action(0, 1000, "sketching", "study"), EvaluativeMemory(150),
                         rec, k) for k, rec in enumerate(["Some jazz?", None])]
    verdicts = judge.judge_batch(reqs)
    assert all(v.total == 4 for v in verdicts), "the fixed answers parse"
    texts = [judge.prompt(r, c) + " " + '{"score": ' for r in reqs for c in CHECKS]
    head = words(texts[0][:texts[0].index("<<<RECOMMENDATION>>>\n") + 21])
    ends = [words(t[:t.index("<<<END RECOMMENDATION>>>")]) for t in texts]
    expected = head + (ends[0] - head) + (ends[5] - head) + sum(words(t) - e for t, e in zip(texts, ends))
    counts = engine.by_role["judge"]
    assert counts["requests"] == 10 and counts["prompt"] == sum(map(words, texts))
    assert counts["missed"] == expected < counts["prompt"] / 2


def test_candidates_sampled_from_one_prompt_miss_it_once_and_blocks_round_down():
    for block, missed in ((1, 4), (3, 4 + 1)):  # 4 words: 3 of the second prompt's are one whole block
        engine = CountingEngine(WordTokenizer(), "words", "separate", block)
        engine.generate([GenerationRequest("Maya is cooking. Assistant:", temperature=0.9, seed=s) for s in (1, 2)])
        counts = engine.by_role["assistant"]
        assert (counts["requests"], counts["prompt"], counts["missed"]) == (2, 8, missed)


def test_joint_answers_parse(persona):
    engine = CountingEngine(WordTokenizer(), "words", "joint")
    req = JudgeRequest(persona, 1, 288, 12.0, 216, Action(0, 1000, "sketching", "study"), EvaluativeMemory(150),
                       None, 0)
    (v,) = LLMJudge(engine, Clock(), mode="joint").judge_batch([req])
    assert v.total == 4 and engine.by_role["judge"]["requests"] == 1
