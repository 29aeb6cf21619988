"""Tests of the persona diversity figures: distance components, clustering, statistics and the MDS map."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from propersim.personas.schema import TRAITS, load_personas, persona_from_dict
from propersim.personas.stats import (N_COMPONENTS, OTHER, average_linkage_clusters, background_category,
                                      classical_mds, distance_matrix, persona_stats, plot_projection)

HERE = Path(__file__).resolve().parent
REFERENCE32 = HERE.parents[1] / "personas" / "reference32.jsonl"


@pytest.fixture
def base():
    return persona_from_dict(json.loads((HERE / "example_persona.json").read_text()))


def flip(persona, trait):
    big_five = dict(persona.big_five, **{trait: "low" if persona.big_five[trait] == "high" else "high"})
    return replace(persona, big_five=big_five)


def variants(base, n):
    """n personas: each trait code differs, texts change with the index, ages spread."""
    out = []
    for k in range(n):
        b5 = {t: "high" if (k >> i) & 1 else "low" for i, t in enumerate(TRAITS)}
        out.append(replace(base, persona_id=k + 1, age=20 + 3 * k, big_five=b5,
                           current_interests=f"{base.current_interests} topic{k % 4}",
                           occupation=("nurse", "software engineer", "chef")[k % 3]))
    return out


def test_identical_personas_are_at_distance_zero(base):
    d = distance_matrix([base, replace(base, persona_id=2)])
    assert d == pytest.approx(np.zeros((2, 2)))


def test_one_trait_counts_one_component(base):
    d = distance_matrix([base, flip(base, "extraversion")])
    assert d[0, 1] == pytest.approx(1 / N_COMPONENTS)
    assert d[1, 0] == d[0, 1]


def test_age_is_range_normalised(base):
    d = distance_matrix([replace(base, age=20), replace(base, age=40), replace(base, age=60)])
    assert d[0, 1] == pytest.approx(0.5 / N_COMPONENTS)
    assert d[0, 2] == pytest.approx(1 / N_COMPONENTS)


def test_text_is_token_set_jaccard(base):
    a = replace(base, current_interests="alpha beta gamma")
    b = replace(base, current_interests="Alpha, beta and delta.")  # "and" is a stop word
    assert distance_matrix([a, b])[0, 1] == pytest.approx(0.5 / N_COMPONENTS)


def test_category_counts_one_component(base):
    a = replace(base, occupation="nurse")
    b = replace(base, occupation="registered nurse")
    c = replace(base, occupation="software engineer")
    d = distance_matrix([a, b, c])
    assert d[0, 1] == pytest.approx(0.0)
    assert d[0, 2] == pytest.approx(1 / N_COMPONENTS)


@pytest.mark.parametrize("occupation, background, expected", [
    ("software designer", "", "Engineering/Tech"),
    ("retired", "Retired elementary school teacher who gardens.", "Education"),
    ("freelance illustrator", "", "Arts/Design"),
    ("", "Interior designer who loves cooking.", "Arts/Design"),
    ("investigative journalist", "", "Media/Journalism"),
    ("accountant", "", "Business"),
    ("astronaut", "Spends days in orbit.", OTHER),
])
def test_background_category(base, occupation, background, expected):
    assert background_category(replace(base, occupation=occupation, background=background)) == expected


def test_two_groups_give_two_clusters():
    points = np.array([0.0, 0.05, 0.1, 5.0, 5.1])
    dist = np.abs(points[:, None] - points[None, :])
    assert average_linkage_clusters(dist, threshold=1.0).tolist() == [0, 0, 0, 1, 1]
    assert average_linkage_clusters(dist, threshold=0.0).tolist() == [0, 1, 2, 3, 4]
    assert average_linkage_clusters(dist, threshold=10.0).tolist() == [0] * 5


def test_clusters_match_scipy_average_linkage():
    hierarchy = pytest.importorskip("scipy.cluster.hierarchy")
    distance = pytest.importorskip("scipy.spatial.distance")
    rng = np.random.default_rng(1)
    points = np.concatenate([rng.normal(c, 0.4, size=(25, 2)) for c in ((0, 0), (3, 0), (0, 3), (3, 3))])
    dist = np.sqrt(((points[:, None] - points[None, :]) ** 2).sum(-1))
    tree = hierarchy.linkage(distance.squareform(dist, checks=False), method="average")
    for threshold in (0.3, 0.8, 1.5, 3.0):
        ours = average_linkage_clusters(dist, threshold)
        theirs = hierarchy.fcluster(tree, threshold, criterion="distance")
        # Same partition: a one-to-one correspondence between labels.
        assert len(set(zip(ours, theirs))) == len(set(ours)) == len(set(theirs))


def test_classical_mds_recovers_planar_distances():
    points = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [1.0, 1.0]])
    dist = np.sqrt(((points[:, None] - points[None, :]) ** 2).sum(-1))
    xy = classical_mds(dist)
    assert np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(-1)) == pytest.approx(dist)


def test_persona_stats(base):
    personas = variants(base, 8)
    stats = persona_stats(personas)
    assert stats["n"] == stats["n_sampled"] == 8
    assert 0 < stats["median_nn_distance"] <= stats["mean_pairwise_distance"] < 1
    assert sum(stats["cluster_sizes"]) == 8 and len(stats["cluster_sizes"]) == stats["n_clusters"]
    assert stats["categories"] == {"Healthcare": 3, "Engineering/Tech": 3, "Trades/Service": 2}
    sampled = persona_stats(personas, max_n=5)
    assert sampled["n"] == 8 and sampled["n_sampled"] == 5
    assert sum(sampled["categories"].values()) == 8


def test_persona_stats_needs_two(base):
    with pytest.raises(ValueError, match="at least two"):
        persona_stats([base])


TAB_BLUE, TAB_ORANGE = (31, 119, 180), (255, 127, 14)


@pytest.mark.parametrize("color_by", ["extraversion", "cluster"])
def test_plot_projection_writes_png(tmp_path, base, color_by):
    personas = variants(base, 12)
    path = plot_projection(personas, tmp_path / "map.png", color_by=color_by)
    assert path == tmp_path / "map.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and 400 <= image.size[0] <= 3000 and 300 <= image.size[1] <= 3000, image.size
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1, "not blank"
    coloured = (pixels.max(axis=-1) - pixels.min(axis=-1)) > 60  # markers; axes, grid and text are grey
    if color_by == "extraversion":
        # both groups are drawn (the legend's two sample markers alone come to a few dozen pixels each)
        assert {p.big_five["extraversion"] for p in personas} == {"high", "low"}
        for colour in (TAB_BLUE, TAB_ORANGE):
            assert (np.abs(pixels - colour).max(axis=-1) <= 2).sum() >= 100, f"markers of colour {colour}"
    else:  # no legend: every coloured pixel is a marker, 12 markers of about 30 pixels
        assert coloured.sum() >= 250, f"only {coloured.sum()} coloured pixels: markers missing"


def test_plot_projection_rejects_unknown_colouring(tmp_path, base):
    with pytest.raises(ValueError, match="color_by"):
        plot_projection(variants(base, 3), tmp_path / "map.png", color_by="age")


def test_reference32_if_present():
    if not REFERENCE32.is_file():
        pytest.skip(f"{REFERENCE32} not written yet")
    stats = persona_stats(load_personas(REFERENCE32))
    assert stats["n"] == 32
    assert 0 < stats["mean_pairwise_distance"] < 1
