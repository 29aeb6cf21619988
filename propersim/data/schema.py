"""THE Arrow schemas: rated interactions (one row per rated candidate), preference pairs and the assistant's
checkpointed memory. Every producer and consumer imports them."""

from __future__ import annotations

import pyarrow as pa

RUN_ID = "run_id"
ARM = "arm"
PERSONA_ID = "persona_id"
DAY = "day"
TICK = "tick"
SIM_TIME = "sim_time"
ACTION = "action"
LOCATION = "location"
CANDIDATE = "candidate"
DELIVERED = "delivered"
RECOMMENDATION = "recommendation"
IS_RECOMMENDATION = "is_recommendation"
SCORE_PREFERENCE = "score_preference"
SCORE_FREQUENCY_OVER = "score_frequency_over"
SCORE_FREQUENCY_UNDER = "score_frequency_under"
SCORE_FREQUENCY = "score_frequency"
SCORE_TIMING = "score_timing"
SCORE_COMMUNICATION_SAFETY = "score_communication_safety"
SCORE_TOTAL = "score_total"
REASONS = "reasons"
JUDGE = "judge"
JUDGE_ERROR = "judge_error"
ASSISTANT_ERROR = "assistant_error"
POLICY_VERSION = "policy_version"
ASSISTANT_MODEL = "assistant_model"
PROMPT_TOKENS = "prompt_tokens"
CACHED_PROMPT_TOKENS = "cached_prompt_tokens"
COMPLETION_TOKENS = "completion_tokens"

#: What the recommendation column holds when the assistant abstained.
NO_RECOMMENDATION = "No Recommendation"

#: The four rubric criteria as reported: summary key -> column.
CRITERIA = {
    "preference": SCORE_PREFERENCE,
    "frequency": SCORE_FREQUENCY,
    "timing": SCORE_TIMING,
    "communication_safety": SCORE_COMMUNICATION_SAFETY,
}

#: Every 0/1 score column, the two frequency checks included.
SCORE_COLUMNS = (SCORE_PREFERENCE, SCORE_FREQUENCY_OVER, SCORE_FREQUENCY_UNDER, SCORE_FREQUENCY,
                 SCORE_TIMING, SCORE_COMMUNICATION_SAFETY)

#: Where a row belongs: the leading columns of both datasets.
_KEY_FIELDS = [
    pa.field(RUN_ID, pa.string(), nullable=False),
    pa.field(ARM, pa.string(), nullable=False),
    pa.field(PERSONA_ID, pa.int32(), nullable=False),
    pa.field(DAY, pa.int32(), nullable=False),
    pa.field(TICK, pa.int32(), nullable=False),
]

INTERACTIONS = pa.schema([
    *_KEY_FIELDS,
    # milliseconds: Parquet has no seconds unit, so every writer (pyarrow, Ray Data) stores this type as is
    pa.field(SIM_TIME, pa.timestamp("ms"), nullable=False),
    pa.field(ACTION, pa.string(), nullable=False),
    pa.field(LOCATION, pa.string(), nullable=False),
    pa.field(CANDIDATE, pa.int8(), nullable=False),
    pa.field(DELIVERED, pa.bool_(), nullable=False),
    pa.field(RECOMMENDATION, pa.string(), nullable=False),
    pa.field(IS_RECOMMENDATION, pa.bool_(), nullable=False),
    *(pa.field(c, pa.int8()) for c in SCORE_COLUMNS),
    pa.field(SCORE_TOTAL, pa.int8()),
    # JSON object: criterion -> reason.
    pa.field(REASONS, pa.string()),
    pa.field(JUDGE, pa.string(), nullable=False),
    pa.field(JUDGE_ERROR, pa.string()),
    # Set when the assistant's output broke the format and the candidate fell back to abstaining.
    pa.field(ASSISTANT_ERROR, pa.string()),
    pa.field(POLICY_VERSION, pa.int32(), nullable=False),
    pa.field(ASSISTANT_MODEL, pa.string(), nullable=False),
    pa.field(PROMPT_TOKENS, pa.int32(), nullable=False),
    # Of the prompt tokens, those the engine took from its prefix cache (0 where the backend does not say).
    # Nullable, and added after the first runs: shards written before it read as null here (unknown).
    pa.field(CACHED_PROMPT_TOKENS, pa.int32()),
    pa.field(COMPLETION_TOKENS, pa.int32(), nullable=False),
])

COLUMNS = tuple(INTERACTIONS.names)


def empty_columns() -> dict[str, list]:
    """A dict of empty lists, one per column, for row-wise building of a batch."""
    return {name: [] for name in COLUMNS}


def to_table(columns: dict[str, list]) -> pa.Table:
    """Build a schema-conformant table from column lists.

    Raises:
        ValueError: a column is missing or extra.
    """
    if set(columns) != set(COLUMNS):
        missing, extra = set(COLUMNS) - set(columns), set(columns) - set(COLUMNS)
        raise ValueError(f"interaction columns mismatch: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return pa.Table.from_pydict({name: columns[name] for name in COLUMNS}, schema=INTERACTIONS)


# Preference pairs (RUN_DIR/pairs/day=D/): two candidates of one tick with different totals.
PROMPT = "prompt"
PROMPT_FORMAT = "prompt_format"  # "text" (a plain completion prompt) | "chat" (JSON list of messages)
CHOSEN = "chosen"
REJECTED = "rejected"
CHOSEN_TOTAL = "chosen_total"
REJECTED_TOTAL = "rejected_total"
CHOSEN_DELIVERED = "chosen_delivered"
REJECTED_DELIVERED = "rejected_delivered"

PAIRS = pa.schema([
    *_KEY_FIELDS,
    pa.field(POLICY_VERSION, pa.int32(), nullable=False),
    pa.field(PROMPT_FORMAT, pa.string(), nullable=False),
    pa.field(PROMPT, pa.string(), nullable=False),
    # completions exactly as the model is trained to write them (output format included)
    pa.field(CHOSEN, pa.string(), nullable=False),
    pa.field(REJECTED, pa.string(), nullable=False),
    pa.field(CHOSEN_TOTAL, pa.int8(), nullable=False),
    pa.field(REJECTED_TOTAL, pa.int8(), nullable=False),
    pa.field(CHOSEN_DELIVERED, pa.bool_(), nullable=False),
    pa.field(REJECTED_DELIVERED, pa.bool_(), nullable=False),
])


# The LLM assistant's memory of delivered decisions, as checkpointed: one row per remembered interaction.
MEMORY_AT = "at"  # ticks since day 1, 00:00
MEMORY_SCORE = "score"

ASSISTANT_MEMORY = pa.schema([
    pa.field(PERSONA_ID, pa.int32(), nullable=False),
    pa.field(MEMORY_AT, pa.int64(), nullable=False),
    pa.field(ACTION, pa.string(), nullable=False),
    pa.field(RECOMMENDATION, pa.string()),  # null: "No Recommendation"
    pa.field(MEMORY_SCORE, pa.int8()),  # the delivered decision's total; null when the judge failed
])


# The items of the ProPerAssistant's retrieval memory, as checkpointed: one row per delivered decision.
SUGGESTION = "suggestion"  # the delivered text, or NO_RECOMMENDATION
REASON = "reason"

RETRIEVAL_ITEMS = pa.schema([
    pa.field(PERSONA_ID, pa.int32(), nullable=False),
    pa.field(DAY, pa.int32(), nullable=False),
    pa.field(TICK, pa.int32(), nullable=False),
    pa.field(ACTION, pa.string(), nullable=False),
    pa.field(SUGGESTION, pa.string(), nullable=False),
    pa.field(MEMORY_SCORE, pa.int8()),  # the delivered decision's total; null when the judge failed
    pa.field(REASON, pa.string(), nullable=False),
])
