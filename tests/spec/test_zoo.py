"""Every model of the zoo loads, validates, round-trips exactly and is found by name.

The zoo is globbed, so models added later are held to the same checks. The textbook
networks are also checked against their published answers by exact summation over
the joint (numpy einsum, independent of every pgmkit engine).
"""
from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest

import pgmkit
from pgmkit.api import MODELS_DIR, example_spec, zoo_names
from pgmkit.errors import SpecError
from pgmkit.io.files import read_spec, write_spec
from pgmkit.spec.build import build_spec
from pgmkit.spec.serialize import to_dict
from pgmkit.spec.validate import check
from pgmkit.spec.yaml_io import dump_yaml, parse_yaml

ZOO_DIR = Path(__file__).resolve().parents[2] / "models"
ZOO = sorted(ZOO_DIR.glob("*.yaml"))
IDS = [p.stem for p in ZOO]


def _bif_ready(spec) -> bool:
    return spec.is_discrete and not spec.temporal and not spec.missing_cpds and not spec.guide


# -- exact answers by summing the joint ----------------------------------------------

def posterior(spec, query: str, evidence: dict[str, str] | None = None) -> dict[str, float]:
    """P(query | evidence) by contracting every CPD and evidence indicator with einsum."""
    evidence = evidence or {}
    letter = dict(zip(spec.names, string.ascii_letters))
    operands: list = []
    for v in spec.variables:
        operands += [v.cpd.table, [letter[p.name] for p in v.parents] + [letter[v.name]]]
    for name, state in evidence.items():
        operands += [np.eye(spec[name].card)[spec[name].states.index(state)], [letter[name]]]
    subs = [("".join(ax)) for ax in operands[1::2]]
    unnorm = np.einsum(",".join(subs) + "->" + letter[query], *operands[0::2], optimize="greedy")
    return dict(zip(spec[query].states, unnorm / unnorm.sum()))


def test_posterior_helper_matches_full_enumeration():
    from tests.conftest import brute_joint

    spec = read_spec(ZOO_DIR / "alarm.yaml")
    names, joint = brute_joint(spec)
    j, m, b = names.index("JohnCalls"), names.index("MaryCalls"), names.index("Burglary")
    sliced = np.take(np.take(joint, 1, axis=m), 1, axis=j)  # JohnCalls=yes, MaryCalls=yes
    keep = b if b < min(j, m) else b - sum(x < b for x in (j, m))
    other = tuple(i for i in range(sliced.ndim) if i != keep)
    expected = sliced.sum(axis=other) / sliced.sum()
    got = posterior(spec, "Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"})
    assert np.allclose([got["no"], got["yes"]], expected, atol=1e-12)


# -- every zoo file ------------------------------------------------------------------

def test_zoo_is_not_empty_and_is_what_the_package_ships():
    assert {"alarm", "student", "asia", "sprinkler", "spam", "emotion"} <= set(IDS)
    assert zoo_names() == IDS  # pgmkit/models is the same folder as models/
    assert MODELS_DIR.resolve() == ZOO_DIR.resolve()


@pytest.mark.parametrize("path", ZOO, ids=IDS)
def test_starts_with_a_header_comment(path: Path):
    first = path.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()[0]
    assert first.startswith("#"), (f"{path.name}: the zoo's files open with a comment giving "
                                   "the source of their numbers")


@pytest.mark.parametrize("path", ZOO, ids=IDS)
def test_loads_and_validates(path: Path):
    spec = read_spec(path)
    assert check(spec) is spec
    assert spec.name == path.stem, "example(name) and the file name should agree"
    assert spec.source == str(path)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("path", ZOO, ids=IDS)
def test_round_trips_exactly(path: Path, fmt: str, tmp_path: Path):
    spec = read_spec(path)
    again = read_spec(write_spec(spec, tmp_path / f"{path.stem}.{fmt}"))
    assert again == spec
    assert again.names == spec.names and again.description == spec.description
    # and saving the reloaded spec writes the very same text
    assert write_spec(again, tmp_path / f"b.{fmt}").read_text() == \
        (tmp_path / f"{path.stem}.{fmt}").read_text()


def _by_name(spec) -> dict:
    """Each variable's states, parents and table with the parent axes in sorted order."""
    out = {}
    for v in spec.variables:
        parents = [p.name for p in v.parents]
        order = sorted(range(len(parents)), key=parents.__getitem__)
        out[v.name] = (v.states, sorted(parents), v.cpd.table.transpose(order + [len(parents)]))
    return out


def assert_same_network(a, b) -> None:
    """Equal up to the order of variables and of each variable's parents."""
    x, y = _by_name(a), _by_name(b)
    assert sorted(x) == sorted(y)
    for name in x:
        assert x[name][0] == y[name][0], f"{name}: states differ"
        assert x[name][1] == y[name][1], f"{name}: parents differ"
        assert np.array_equal(x[name][2], y[name][2]), f"{name}: tables differ"


@pytest.mark.parametrize("fmt", ["bif", "xmlbif"])
@pytest.mark.parametrize("path", ZOO, ids=IDS)
def test_discrete_static_models_round_trip_through_bif(path: Path, fmt: str, tmp_path: Path):
    spec = read_spec(path)
    if not _bif_ready(spec):
        pytest.skip(f"{path.stem} is not a complete discrete static network")
    again = read_spec(write_spec(spec, tmp_path / f"{path.stem}.{fmt}"))
    assert again.name == spec.name
    assert_same_network(again, spec)


@pytest.mark.parametrize("path", ZOO, ids=IDS)
def test_example_finds_it(path: Path):
    spec = read_spec(path)
    assert example_spec(path.stem) == spec
    try:
        model = pgmkit.example(path.stem)
    except ModuleNotFoundError as exc:  # a facade still being written alongside this suite
        if not (exc.name or "").startswith("pgmkit."):
            raise
        pytest.skip(f"facade module {exc.name} is not there yet")
    assert model.spec == spec


def test_unknown_example_suggests_a_name():
    with pytest.raises(SpecError, match=r"no example model 'sprinkle' \(did you mean 'sprinkler'\?\)"):
        example_spec("sprinkle")


@pytest.mark.parametrize("path", [p for p in ZOO if _bif_ready(read_spec(p))],
                         ids=lambda p: p.stem)
def test_joint_sums_to_one(path: Path):
    spec = read_spec(path)
    letter = dict(zip(spec.names, string.ascii_letters))
    operands: list = []
    for v in spec.variables:
        operands += [v.cpd.table, [letter[p.name] for p in v.parents] + [letter[v.name]]]
    subs = ["".join(ax) for ax in operands[1::2]]
    total = np.einsum(",".join(subs) + "->", *operands[0::2], optimize="greedy")
    assert total == pytest.approx(1.0, abs=1e-12)


# -- the textbook numbers ------------------------------------------------------------

def test_alarm_has_the_aima_numbers():
    spec = read_spec(ZOO_DIR / "alarm.yaml")
    assert spec.names == ("Burglary", "Earthquake", "Alarm", "JohnCalls", "MaryCalls")
    assert all(spec[n].states == ("no", "yes") for n in spec.names)
    yes = {n: spec[n].cpd.table[..., 1] for n in spec.names}
    assert yes["Burglary"] == pytest.approx(0.001) and yes["Earthquake"] == pytest.approx(0.002)
    # P(A | B, E) indexed [B][E]
    assert yes["Alarm"].tolist() == [[0.001, 0.29], [0.94, 0.95]]
    assert yes["JohnCalls"].tolist() == [0.05, 0.90]
    assert yes["MaryCalls"].tolist() == [0.01, 0.70]
    p = posterior(spec, "Burglary", {"JohnCalls": "yes", "MaryCalls": "yes"})
    assert round(p["yes"], 4) == 0.2842
    p = posterior(spec, "Burglary", {"JohnCalls": "yes", "MaryCalls": "no"})
    assert round(p["yes"], 4) == 0.0051


@pytest.mark.parametrize("query, evidence, state, expected, tol", [
    ("Letter", {}, "strong", 0.502, 5e-4),
    ("Letter", {"Intelligence": "low"}, "strong", 0.389, 5e-4),
    ("Letter", {"Intelligence": "low", "Difficulty": "easy"}, "strong", 0.513, 5e-4),
    ("Intelligence", {"Grade": "C"}, "high", 0.079, 5e-4),
    ("Difficulty", {"Grade": "C"}, "hard", 0.629, 5e-4),
    ("Intelligence", {"Letter": "weak"}, "high", 0.14, 5e-3),
    ("Intelligence", {"Grade": "C", "Difficulty": "hard"}, "high", 0.11, 5e-3),
    ("Intelligence", {"Grade": "C", "SAT": "high"}, "high", 0.578, 5e-4),
])
def test_student_gives_the_textbook_answers(query, evidence, state, expected, tol):
    """Koller & Friedman, section 3.2.1 (the reasoning patterns of the student network)."""
    spec = read_spec(ZOO_DIR / "student.yaml")
    assert posterior(spec, query, evidence)[state] == pytest.approx(expected, abs=tol)


def test_sprinkler_gives_the_published_answers():
    """Murphy's Bayes Net Toolbox tutorial: P(S=on | W=yes) = 0.4298, P(R=yes | W=yes) = 0.7079."""
    spec = read_spec(ZOO_DIR / "sprinkler.yaml")
    assert spec["Sprinkler"].states == ("off", "on")  # not turned into booleans
    assert round(posterior(spec, "Sprinkler", {"WetGrass": "yes"})["on"], 4) == 0.4298
    assert round(posterior(spec, "Rain", {"WetGrass": "yes"})["yes"], 4) == 0.7079


def test_asia_is_bnlearns_asia():
    zoo = read_spec(ZOO_DIR / "asia.yaml")
    bnlearn = example_spec("bnlearn:asia")
    assert bnlearn.name == "asia"
    assert_same_network(zoo, bnlearn)
    assert pgmkit.example("asia").variables[:3] == ("asia", "tub", "smoke")


def test_spam_is_a_naive_bayes_filter():
    spec = read_spec(ZOO_DIR / "spam.yaml")
    words = [n for n in spec.names if n != "Spam"]
    assert spec["Spam"].parents == () and len(words) >= 5
    assert all(spec[w].parent_names == ("Spam",) and spec[w].states == ("0", "1") for w in words)
    assert "INVENTED" in ZOO_DIR.joinpath("spam.yaml").read_text()
    # the posterior factorizes: P(spam | words) is the prior times one likelihood per word
    seen = {"Free": "1", "Winner": "1", "Meeting": "0"}
    odds = 0.4 / 0.6
    for w, s in seen.items():
        t = spec[w].cpd.table[:, int(s)]
        odds *= t[1] / t[0]
    assert posterior(spec, "Spam", seen)["spam"] == pytest.approx(odds / (1 + odds), abs=1e-12)


EMOTION_NAMES = {"Emotion", "Valence", "Focus", "BookViews", "CorrectAnswers", "NotesTaken",
                 "IncorrectAnswers", "PosterViews", "TotalGoals", "Openness", "Agreeableness",
                 "Conscientiousness", "MasteryAvoidance", "MasteryApproach"}
TRAITS = {"Openness", "Agreeableness", "Conscientiousness", "MasteryAvoidance", "MasteryApproach"}
BEHAVIOUR = {"BookViews", "CorrectAnswers", "NotesTaken", "IncorrectAnswers", "PosterViews"}


def test_emotion_network_has_the_lecture_structure():
    spec = read_spec(ZOO_DIR / "emotion.yaml")
    assert set(spec.names) == EMOTION_NAMES
    assert "INVENTED" in ZOO_DIR.joinpath("emotion.yaml").read_text()
    assert all(spec[t].parents == () for t in TRAITS)
    for mid in ("TotalGoals", "Valence", "Focus"):
        assert set(spec[mid].parent_names) <= TRAITS and spec[mid].parent_names
    assert set(spec["Emotion"].parent_names) == {"Valence", "Focus", "TotalGoals"}
    assert all(set(spec[b].parent_names) == {"Emotion", "Focus"} for b in BEHAVIOUR)
    assert set(spec.latent_names) == {"Valence", "Focus"}
    used = {p for v in spec.variables for p in v.parent_names}
    assert TRAITS <= used, "every trait influences something"


@pytest.mark.parametrize("emotion, evidence, direction", [
    ("engaged", {"CorrectAnswers": "high", "NotesTaken": "high", "BookViews": "high"}, +1),
    ("engaged", {"IncorrectAnswers": "high", "PosterViews": "high"}, -1),
    ("bored", {"PosterViews": "high", "NotesTaken": "low"}, +1),
    ("frustrated", {"IncorrectAnswers": "high", "CorrectAnswers": "low"}, +1),
    ("engaged", {"MasteryApproach": "high", "Conscientiousness": "high"}, +1),
    ("frustrated", {"MasteryAvoidance": "high", "Agreeableness": "low"}, +1),
])
def test_emotion_invented_numbers_point_the_plausible_way(emotion, evidence, direction):
    spec = read_spec(ZOO_DIR / "emotion.yaml")
    prior = posterior(spec, "Emotion")[emotion]
    after = posterior(spec, "Emotion", evidence)[emotion]
    assert direction * (after - prior) > 0.02, (prior, after)


def test_zoo_files_use_the_readable_table_form():
    """The docs point at the zoo for examples of each form: keep them there."""
    text = {p.stem: p.read_text() for p in ZOO}
    assert "      no, yes:  [0.71, 0.29]" in text["alarm"]          # row keyed by parent states
    assert "cpd: {easy: 0.6, hard: 0.4}" in text["student"]         # {state: p} prior
    assert "      - [0.9, 0.1]   # bronc=yes, either=yes" in text["asia"]  # compact rows
    raw = parse_yaml(text["sprinkler"])
    assert raw["variables"]["Sprinkler"]["states"] == ["off", "on"]
    assert dump_yaml(to_dict(build_spec(raw))).count("'on'") >= 1  # written back quoted


# -- the bnlearn networks pgmpy ships ----------------------------------------------------------

NAMED_BNLEARN = ["alarm", "asia", "cancer", "child", "insurance", "hepar2", "win95pts", "andes",
                 "pathfinder", "munin"]


def test_bnlearn_networks_are_offered():
    from pgmkit.api import bnlearn_names

    assert set(NAMED_BNLEARN) <= set(bnlearn_names())


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMED_BNLEARN)
def test_bnlearn_networks_load_validate_and_round_trip(name: str, tmp_path: Path):
    """pgmkit validates what pgmpy's reader gives (rows summing to 1 within 1e-6, ...).
    The networks the issue names; the other bnlearn files cost over two minutes more."""
    spec = example_spec(f"bnlearn:{name}")
    assert spec.name == name and check(spec) is spec and not spec.missing_cpds
    if len(spec) <= 80:  # the big ones cost seconds each to write and parse again
        assert read_spec(write_spec(spec, tmp_path / "net.yaml")) == spec
