"""Per-field parse coverage of `propersim personas import-propersim` over a file of original personas.

Usage: .venv/bin/python scripts/import_coverage.py [../shared/reference/propersim/personas_32.jsonl]

Prints, per derived field, how many personas had it parsed rather than filled by the importer's fallback,
and a summary of the values (tone counts, liked topics per persona, receptive hours per persona, ...).
"""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from pathlib import Path

from propersim.personas.importer import import_propersim

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "propersim" / "personas_32.jsonl"


def main(path: Path) -> None:
    personas, coverage = import_propersim(path)
    n = len(personas)
    prefs = [p.preferences for p in personas]
    hours = [sum(e - s for s, e in q.receptive_hours) for q in prefs]
    summaries = {
        "chronotype": dict(Counter(p.chronotype for p in personas)),
        "liked": f"topics per persona: mean {statistics.mean(len(q.liked) for q in prefs):.1f}, "
                 f"min {min(len(q.liked) for q in prefs)}; fitting any activity: "
                 f"{statistics.mean(sum(not t.during for t in q.liked) for q in prefs):.1f}",
        "disliked": f"{sum(len(q.disliked) for q in prefs)} topics in all",
        "receptive_hours": f"hours per persona: mean {statistics.mean(hours):.1f}, min {min(hours):g}",
        "do_not_disturb": dict(Counter(k for q in prefs for k in q.do_not_disturb)),
        "tone": dict(Counter(q.tone for q in prefs)),
        "length": dict(Counter(q.length for q in prefs)),
        "sensitive_topics": f"{sum(len(q.sensitive_topics) for q in prefs)} topics in all",
    }
    print(f"{n} personas from {path}; parsed (not defaulted) per field, and the values:")
    for field, k in coverage.items():
        print(f"  {field:>16}: {k:2d}/{n}  {summaries.get(field, '')}")
    for p in personas:
        q = p.preferences
        print(f"  #{p.persona_id:<2} tone {q.tone:<6} windows {list(q.receptive_hours)} dnd {list(q.do_not_disturb)} "
              f"liked {[t.topic + ('/' + '+'.join(t.during) if t.during else '') for t in q.liked]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
