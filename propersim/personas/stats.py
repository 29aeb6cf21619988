"""Diversity figures of a persona set, after the paper's Fig. 3: Gower-style distances, clusters and a 2-D map.

Distance (paper Appendix A.1, "Gower-style mixed distance"): the unweighted mean of 12 components, each in
[0, 1]:

- age: ``|a_i - a_j| / (max age - min age)`` over the set (0 when all ages are equal);
- the five Big Five traits: 0 when the levels match, 1 otherwise (one component each);
- background category: 0 when equal, 1 otherwise (:func:`background_category`);
- five free-text fields (``TEXT_FIELDS``): Jaccard distance of the token sets. Tokens are lower-case
  alphabetic words of at least three letters, minus a small stop-word list and the persona's own name
  (the original personas all say "John Lin enjoys ...", ours use each persona's name; neither is content).

The paper embeds the distances with UMAP and clusters with HDBSCAN (7 clusters for 32 personas). Neither is a
dependency here, so clusters come from average-linkage agglomerative clustering cut at ``CLUSTER_THRESHOLD``
(merging stops once the closest two clusters are farther apart than that), and the map is classical MDS.
Every pairwise figure costs O(n^2) memory and time, so sets larger than ``max_n`` (default 2,000) are
measured on a seeded random subsample of that size; category counts always use the whole set.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from propersim.errors import InvalidInputError
from propersim.personas.schema import TRAITS

TEXT_FIELDS = ("current_interests", "lifestyle", "daily_plan_req", "long_term_goals", "background")
N_COMPONENTS = 1 + len(TRAITS) + 1 + len(TEXT_FIELDS)
MAX_N = 2000
#: Average-linkage cut. Unrelated texts give about 0.9 per text field, so two personas with the same age,
#: traits and category but unrelated texts sit near 0.38, and each mismatched trait or category adds 1/12;
#: 0.6 thus groups personas that differ in at most about two of those beyond their texts. On the 32 original
#: personas (median pairwise distance 0.71, median nearest-neighbour distance 0.47) it gives 11 clusters.
CLUSTER_THRESHOLD = 0.6
OTHER = "Other"
#: Background categories (the paper's six plus Healthcare and Trades/Service, common among generated
#: occupations): keyword stems matched at a word start. The occupation is searched first, the background
#: only when the occupation matches nothing; the earliest match in the text wins, ties going to the first
#: category in this order ("software designer" is Engineering/Tech, "retired school teacher" Education,
#: "interior designer who loves cooking" Arts/Design); no match gives ``OTHER``.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "Engineering/Tech": ("engineer", "developer", "programmer", "software", "technician", "it specialist", "it support",
                         "information technology", "data ",
                         "devops", "cyber", "computer", "web ", "tech", "network", "sysadmin", "robotic"),
    "Healthcare": ("nurse", "doctor", "physician", "therap", "pharmac", "medic", "dentist", "paramedic",
                   "caregiver", "psycholog", "counsel", "midwife", "surgeon"),
    "Education": ("teacher", "tutor", "educat", "school", "lecturer", "librarian", "instructor", "coach"),
    "Science/Academia": ("scien", "research", "professor", "biolog", "chemist", "physicist", "academ", "phd",
                         "postdoc", "historian", "philosoph", "mathematic", "astronom", "ecolog"),
    "Media/Journalism": ("journalist", "reporter", "editor", "writer", "author", "blogger", "podcast",
                         "copywriter", "broadcast", "media", "columnist"),
    "Arts/Design": ("artist", "design", "illustrat", "musician", "painter", "photograph", "architect", "poet",
                    "novelist", "actor", "actress", "dancer", "sculpt", "film", "composer", "craft"),
    "Business": ("manag", "business", "account", "financ", "consult", "market", "sales", "entrepreneur", "bank",
                 "analyst", "executive", "recruit", "owner", "real estate", "lawyer", "attorney", "legal",
                 "event planner"),
    "Trades/Service": ("chef", "cook", "baker", "barista", "electrician", "plumber", "carpenter", "mechanic",
                       "driver", "retail", "customer service", "waiter", "waitress", "cashier", "farmer",
                       "gardener", "landscap", "cleaner", "construction", "nanny", "customer support", "warehouse"),
}
_STOP_WORDS = frozenset("""the and for with that this his her their from into onto about while when what which
who whom them they she him has have had are was were been being will would can could should may might must
not but also very more most such than then there here each every some any all both few other own same just
over under again once its it's our ours your yours day days time like likes enjoys enjoy typically often
usually during after before through per""".split())
_WORD = re.compile(r"[a-z][a-z']{2,}")
_CATEGORY_RULES = {category: re.compile("|".join(r"(?<![a-z])" + re.escape(stem) for stem in stems))
                   for category, stems in CATEGORIES.items()}


def background_category(persona) -> str:
    """The coarse category of a persona's occupation (then background); rules in ``CATEGORIES``."""
    for text in (getattr(persona, "occupation", ""), persona.background):
        padded = f"{text.lower()} "
        hits = [(match.start(), rank, category) for rank, (category, rule) in enumerate(_CATEGORY_RULES.items())
                if (match := rule.search(padded))]
        if hits:
            return min(hits)[2]
    return OTHER


def _tokens(text: str, name_words: frozenset[str]) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower())) - _STOP_WORDS - name_words


def _jaccard_distances(token_sets: list[frozenset[str]]) -> np.ndarray:
    """Pairwise Jaccard distances; tokens held by a single persona only enter the set sizes."""
    sizes = np.array([len(s) for s in token_sets], dtype=np.float64)
    counts: dict[str, int] = {}
    for s in token_sets:
        for tok in s:
            counts[tok] = counts.get(tok, 0) + 1
    shared = {tok: k for k, tok in enumerate(t for t, c in counts.items() if c > 1)}
    incidence = np.zeros((len(token_sets), max(len(shared), 1)), dtype=np.float32)
    for row, s in enumerate(token_sets):
        incidence[row, [shared[t] for t in s if t in shared]] = 1.0
    inter = (incidence @ incidence.T).astype(np.float64)
    union = sizes[:, None] + sizes[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, 1.0 - inter / union, 0.0)


def distance_matrix(personas) -> np.ndarray:
    """Pairwise Gower-style distances (module docstring) as an (n, n) float64 array with a zero diagonal.

    Args:
        personas: ``Persona`` objects, or anything with ``age``, ``big_five``, ``name``, ``background``
            and the ``TEXT_FIELDS`` attributes (``occupation`` optional).

    Returns:
        The symmetric distance matrix, values in [0, 1].
    """
    ages = np.array([p.age for p in personas], dtype=np.float64)
    span = ages.max() - ages.min()
    total = np.abs(ages[:, None] - ages[None, :]) / span if span > 0 else np.zeros((len(ages),) * 2)
    for trait in TRAITS:
        level = np.array([p.big_five[trait] == "high" for p in personas])
        total += level[:, None] != level[None, :]
    category = np.array([background_category(p) for p in personas])
    total += category[:, None] != category[None, :]
    names = [frozenset(_WORD.findall(p.name.lower())) for p in personas]
    for field in TEXT_FIELDS:
        total += _jaccard_distances([_tokens(getattr(p, field), nw) for p, nw in zip(personas, names)])
    total /= N_COMPONENTS
    np.fill_diagonal(total, 0.0)
    return total


def average_linkage_clusters(dist: np.ndarray, threshold: float = CLUSTER_THRESHOLD) -> np.ndarray:
    """Average-linkage agglomerative clustering, merging while the closest pair is at most ``threshold`` apart.

    Uses the Lance-Williams update with a nearest-neighbour list, about O(n^2) for typical data. The result
    equals cutting scipy's ``linkage(method="average")`` dendrogram at ``threshold``.

    Args:
        dist: symmetric (n, n) distance matrix.
        threshold: largest average distance at which two clusters still merge.

    Returns:
        Cluster labels 0..k-1 per row, numbered by first appearance.
    """
    n = len(dist)
    d = np.array(dist, dtype=np.float64)
    np.fill_diagonal(d, np.inf)
    size = np.ones(n)
    owner = np.arange(n)
    nn = d.argmin(axis=1)
    nn_dist = d[np.arange(n), nn]
    for _ in range(n - 1):
        i = int(nn_dist.argmin())
        if not nn_dist[i] <= threshold:
            break
        j = int(nn[i])
        merged = (size[i] * d[i] + size[j] * d[j]) / (size[i] + size[j])
        d[i, :] = d[:, i] = merged
        d[i, i] = np.inf
        d[j, :] = d[:, j] = np.inf
        size[i] += size[j]
        owner[owner == j] = i
        nn_dist[j] = np.inf
        stale = np.flatnonzero(((nn == i) | (nn == j)) & np.isfinite(nn_dist))
        stale = np.union1d(stale, [i])
        nn[stale] = d[stale].argmin(axis=1)
        nn_dist[stale] = d[stale, nn[stale]]
        closer = np.isfinite(nn_dist) & (d[:, i] < nn_dist)
        nn[closer], nn_dist[closer] = i, d[closer, i]
    _, labels = np.unique(owner, return_inverse=True)
    order = np.argsort(np.unique(labels, return_index=True)[1])
    return np.argsort(order)[labels]


def classical_mds(dist: np.ndarray, dims: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS: the top ``dims`` eigenvectors of the double-centred squared distances.

    Returns:
        (n, dims) coordinates; a dimension with a non-positive eigenvalue is all zeros.
    """
    sq = np.asarray(dist, dtype=np.float64) ** 2
    row = sq.mean(axis=1)
    gram = -0.5 * (sq - row[:, None] - row[None, :] + row.mean())
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(values)[::-1][:dims]
    return vectors[:, top] * np.sqrt(np.clip(values[top], 0.0, None))


def _sample(personas, max_n: int, seed: int) -> list:
    personas = list(personas)
    if len(personas) < 2:
        raise InvalidInputError(f"diversity statistics need at least two personas, got {len(personas)}")
    if max_n < 2:
        raise ValueError(f"max_n must be at least 2, got {max_n}")
    if len(personas) <= max_n:
        return personas
    picks = np.sort(np.random.default_rng(seed).choice(len(personas), size=max_n, replace=False))
    return [personas[k] for k in picks]


def persona_stats(personas, max_n: int = MAX_N, seed: int = 0, threshold: float = CLUSTER_THRESHOLD) -> dict:
    """Diversity figures of a persona set (method in the module docstring).

    Args:
        personas: the persona set (see :func:`distance_matrix` for what each item needs).
        max_n: pairwise figures use a seeded random subsample of this size when the set is larger.
        seed: seed of that subsample.
        threshold: average-linkage cut for the cluster count.

    Returns:
        ``n``, ``n_sampled``, ``mean_pairwise_distance``, ``median_nn_distance`` (median over personas of the
        distance to the nearest other persona), ``n_clusters``, ``cluster_sizes`` (descending),
        ``cluster_threshold``, ``n_singletons`` and ``categories`` (category -> count over the whole set).

    Raises:
        ValueError: fewer than two personas, or ``max_n`` < 2.
    """
    personas = list(personas)
    sample = _sample(personas, max_n, seed)
    dist = distance_matrix(sample)
    off_diagonal = dist[~np.eye(len(sample), dtype=bool)]
    nearest = np.where(np.eye(len(sample), dtype=bool), np.inf, dist).min(axis=1)
    sizes = np.bincount(average_linkage_clusters(dist, threshold))
    categories: dict[str, int] = {}
    for p in personas:
        category = background_category(p)
        categories[category] = categories.get(category, 0) + 1
    return {
        "n": len(personas),
        "n_sampled": len(sample),
        "mean_pairwise_distance": float(off_diagonal.mean()),
        "median_nn_distance": float(np.median(nearest)),
        "n_clusters": int(len(sizes)),
        "cluster_sizes": sorted((int(s) for s in sizes), reverse=True),
        "n_singletons": int((sizes == 1).sum()),
        "cluster_threshold": threshold,
        "categories": dict(sorted(categories.items(), key=lambda kv: -kv[1])),
    }


def plot_projection(personas, path: str | Path, color_by: str = "extraversion", max_n: int = MAX_N,
                    seed: int = 0, threshold: float = CLUSTER_THRESHOLD) -> Path:
    """Write a PNG of the personas' 2-D classical-MDS map of the Gower-style distances.

    Args:
        personas: the persona set.
        path: PNG file to write (parent folders are created).
        color_by: "extraversion" (High/Low) or "cluster" (average-linkage clusters at ``threshold``).
        max_n: larger sets are drawn from a seeded random subsample of this size.
        seed: seed of that subsample.
        threshold: average-linkage cut when colouring by cluster.

    Returns:
        ``path``.

    Raises:
        ValueError: unknown ``color_by``, fewer than two personas, or ``max_n`` < 2.
    """
    if color_by not in ("extraversion", "cluster"):
        raise ValueError(f"color_by is {color_by!r}; expected 'extraversion' or 'cluster'")
    personas = list(personas)
    sample = _sample(personas, max_n, seed)
    dist = distance_matrix(sample)
    xy = classical_mds(dist)
    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot()
    if color_by == "cluster":
        labels = average_linkage_clusters(dist, threshold)
        ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab20", s=14)
        legend_title = f"{labels.max() + 1} clusters (average linkage, cut {threshold})"
    else:
        for level, color in (("high", "tab:blue"), ("low", "tab:orange")):
            mask = np.array([p.big_five["extraversion"] == level for p in sample])
            ax.scatter(xy[mask, 0], xy[mask, 1], s=14, color=color, label=f"{level.capitalize()} extraversion")
        ax.legend()
        legend_title = "colour: extraversion"
    shown = f"{len(sample)} of {len(personas)}" if len(sample) < len(personas) else f"{len(personas)}"
    ax.set_title(f"Persona diversity map ({shown} personas; {legend_title})", fontsize="medium")
    ax.set_xlabel("MDS dimension 1")
    ax.set_ylabel("MDS dimension 2")
    ax.grid(alpha=0.3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
