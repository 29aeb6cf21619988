"""Retrieval memory of the ProPerAssistant: every delivered decision is embedded and stored per persona in
Milvus (a Milvus Lite file per shard locally, a Milvus server URI on clusters: the same code); before
deciding, the assistant retrieves the ``k`` past interactions most similar to the current action.

What a retrieved item shows is the memory level: ``A`` the action, ``AS`` plus the suggestion, ``ASC`` plus
the score, ``ASCR`` plus the judge's reasons.

The index is scratch: the policy keeps its items as :data:`~propersim.data.schema.RETRIEVAL_ITEMS` rows in its
checkpointed state, and a shard that starts anywhere (a restart on another node, a resume) rebuilds the index
from them (:meth:`RetrievalMemory.replace`). A Milvus Lite file lives in a node-local temporary directory.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from propersim.data.schema import RETRIEVAL_ITEMS

LEVELS = ("A", "AS", "ASC", "ASCR")


@dataclass(frozen=True)
class Recalled:
    """One retrieved past interaction."""

    day: int
    tick: int
    action: str
    suggestion: str
    score: int | None
    reason: str

    def render(self, level: str) -> str:
        """The item as the prompt shows it at memory ``level``."""
        parts = [self.action]
        if "S" in level:
            parts.append(f"suggested: {self.suggestion}")
        if "C" in level:
            parts.append(f"score {'n/a' if self.score is None else f'{self.score}/4'}")
        if "R" in level and self.reason:
            parts.append(f"because: {self.reason}")
        return " | ".join(parts)


_FIELDS = ["day", "tick", "action", "suggestion", "score", "reason"]
#: Distances closer than this are ties (equal actions have equal embeddings, hence equal distances).
_TIE = 1e-6


class RetrievalMemory:
    """Per-persona vector memory of delivered decisions.

    Args:
        uri: a Milvus server URI, or None for a Milvus Lite file of its own (one process per file) in a
            temporary directory, removed on :meth:`close`.
        collection: the collection (one per run and arm).
        embedder: a sentence-transformers model (``encode(texts, normalize_embeddings=True)`` and its
            embedding dimension).
        persona_ids: the personas this memory serves (a shard's). Their items left in the collection by an
            earlier process (a restarted shard, an overwritten run on a server) are deleted at once.
    """

    def __init__(self, uri: str | None, collection: str, embedder, persona_ids: list[int]):
        from pymilvus import MilvusClient

        self.embedder = embedder
        self.collection = collection
        self.persona_ids = [int(p) for p in persona_ids]
        self._scratch = None
        if uri is None:
            self._scratch = tempfile.mkdtemp(prefix="propersim-memory-")
            uri = str(Path(self._scratch) / "memory.db")
        # no keepalive pings on an idle channel (Milvus answers pymilvus' default of one per 10 s with GOAWAY
        # "too_many_pings" while the run trains)
        self.client = MilvusClient(uri=uri, grpc_options={"grpc.keepalive_permit_without_calls": False})
        if not self.client.has_collection(collection):
            dimension = getattr(embedder, "get_embedding_dimension", None) or embedder.get_sentence_embedding_dimension
            self.client.create_collection(collection, dimension=int(dimension()), metric_type="COSINE", auto_id=True)
        self._clear()

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(texts, normalize_embeddings=True, batch_size=64).tolist()

    def add(self, items: list[dict]) -> None:
        """Store items: :data:`~propersim.data.schema.RETRIEVAL_ITEMS` rows as dicts (score None: unscored)."""
        if not items:
            return
        vectors = self._embed([it["action"] for it in items])
        rows = [{"vector": v, **{k: (-1 if k == "score" and it[k] is None else it[k]) for k in RETRIEVAL_ITEMS.names}}
                for v, it in zip(vectors, items)]
        self.client.insert(self.collection, rows)

    def search(self, persona_ids: list[int], actions: list[str], k: int) -> list[list[Recalled]]:
        """For each (persona, action), that persona's ``k`` most similar stored interactions, best first."""
        if k == 0 or not actions:
            return [[] for _ in actions]
        vectors = self._embed(actions)
        out = []
        for pid, vector in zip(persona_ids, vectors):  # one filtered search per persona: no leak across them
            # strong consistency: a search sees the inserts made just before it (a server is eventual by default)
            hits = self.client.search(self.collection, [vector], filter=f"persona_id == {int(pid)}", limit=k,
                                      consistency_level="Strong", output_fields=_FIELDS)[0]
            out.append([Recalled(e["day"], e["tick"], e["action"], e["suggestion"],
                                 None if e["score"] < 0 else e["score"], e["reason"])
                        for e in self._break_ties(int(pid), hits, k)])
        return out

    def _break_ties(self, pid: int, hits: list[dict], k: int) -> list[dict]:
        """The entities of ``hits`` best first, ties broken by recency, independently of the index's history.

        Equal distances come from equal actions (equal embeddings), and which of them an index returns depends
        on how its items were inserted, so a rebuilt index would recall others. The hits strictly better than
        the ``k``-th stay; the remaining places go to the most recent items whose action ties with it.
        """
        def rank(entities: list[dict], distance: dict) -> list[dict]:
            return sorted(entities, key=lambda e: (-distance[e["action"]], -e["day"], -e["tick"]))

        distance = {h["entity"]["action"]: h["distance"] for h in hits}
        if len(hits) < k:  # every item of the persona came back
            return rank([h["entity"] for h in hits], distance)
        last = hits[-1]["distance"]
        better = [h["entity"] for h in hits if h["distance"] > last + _TIE]
        tied = sorted({h["entity"]["action"] for h in hits if h["distance"] <= last + _TIE})
        # a JSON list is a Milvus list of string literals (quotes and backslashes escaped)
        rows = self.client.query(self.collection, filter=f"persona_id == {pid} and action in {json.dumps(tied)}",
                                 output_fields=_FIELDS, consistency_level="Strong")
        return rank(better, distance) + rank(rows, distance)[:k - len(better)]

    def replace(self, items: list[dict]) -> None:
        """Hold exactly ``items`` for this memory's personas (a restored state's), re-embedded."""
        self._clear()
        self.add(items)

    def _clear(self) -> None:
        self.client.delete(self.collection, filter=f"persona_id in {self.persona_ids}")

    def close(self) -> None:
        self.client.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
