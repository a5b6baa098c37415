"""The modeling language: every form builds the spec it should, from YAML and from Python.

Equal specs are the check throughout: two spellings of the same model must give
``==`` specs (CPD arrays compared exactly), and ``build_spec(to_dict(s)) == s``.
"""
from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgmkit
from pgmkit.errors import SpecError
from pgmkit.io.files import read_spec, write_spec
from pgmkit.spec.build import build_spec
from pgmkit.spec.cpd import LinearGaussianCPD, NeuralCPD, NormalCPD, TableCPD
from pgmkit.spec.model import ParentRef
from pgmkit.spec.serialize import to_dict
from pgmkit.spec.yaml_io import dump_yaml, parse_yaml

ZOO_DIR = Path(__file__).resolve().parents[2] / "models"


def from_yaml(text: str):
    return build_spec(parse_yaml(text))


def round_trips(spec) -> None:
    """Dict, YAML text and JSON text all read back to an equal spec."""
    assert build_spec(to_dict(spec)) == spec
    assert from_yaml(dump_yaml(to_dict(spec))) == spec
    assert build_spec(json.loads(json.dumps(to_dict(spec)))) == spec


# -- state names ------------------------------------------------------------------------

AS_WRITTEN = ["no", "yes", "on", "off", "0", "1", "true", "False", "1.0", "1.00", "01", "0x1F",
              "1e3", ".5", "-1", "Yes", "NO", "~x", "2020-01-01", "12:30"]


def test_state_names_stay_the_strings_written_in_yaml():
    text = "name: s\nvariables:\n  X:\n    states: [" + ", ".join(AS_WRITTEN) + "]\n"
    spec = from_yaml(text)
    assert spec["X"].states == tuple(AS_WRITTEN)
    assert all(type(s) is str or isinstance(s, str) for s in spec["X"].states)
    round_trips(spec)


def test_digit_states_match_digit_keys_in_rows_and_priors():
    spec = from_yaml("""
name: s
variables:
  A: {states: [0, 1], cpd: {0: 0.3, 1: 0.7}}
  B:
    states: [true, false]
    parents: [A]
    cpd:
      0: {true: 0.9, false: 0.1}
      1: [0.2, 0.8]
""")
    assert spec["A"].states == ("0", "1") and spec["B"].states == ("true", "false")
    assert spec["A"].cpd.table.tolist() == [0.3, 0.7]
    assert spec["B"].cpd.table.tolist() == [[0.9, 0.1], [0.2, 0.8]]
    round_trips(spec)


def test_python_ints_become_digit_strings_but_booleans_and_floats_are_refused():
    spec = build_spec({"name": "s", "variables": {"A": {"states": [0, 1], "cpd": {0: .3, 1: .7}}}})
    assert spec["A"].states == ("0", "1")
    for bad in (True, 0.5, None):
        with pytest.raises(SpecError, match=r"state names are strings; received .* \(quote it\)"):
            build_spec({"name": "s", "variables": {"A": {"states": ["a", bad]}}})


def test_unquoted_null_is_not_a_state_name_but_quoted_null_is():
    with pytest.raises(SpecError, match=r"received None \(quote it\)"):
        from_yaml("name: s\nvariables:\n  A: {states: [a, null]}\n")
    assert from_yaml("name: s\nvariables:\n  A: {states: [a, 'null']}\n")["A"].states == ("a", "null")


def test_names_with_outer_spaces_are_refused():
    """Row keys and parent lists are read with outer spaces stripped: such a name could
    never be referred to, and a saved model would not load again."""
    with pytest.raises(SpecError, match=r"leading or trailing spaces; received \[' a'\]"):
        build_spec({"name": "s", "variables": {"X": {"states": [" a", "b"]}}})
    with pytest.raises(SpecError, match=r"leading or trailing spaces; received 'X '"):
        build_spec({"name": "s", "variables": {"X ": {"states": ["a", "b"]}}})


@pytest.mark.parametrize("states, name", [(["a\tb", "c"], "X"), (["x\x85", "y"], "X"),
                                          (["a", "b"], "A\nB"), (["a", "b"], "A\u2028")])
def test_control_characters_in_names_are_refused(states, name):
    """A tab or a line break in a name is a mistake, and YAML would not keep it."""
    with pytest.raises(SpecError, match=r"must be non-empty, printable"):
        build_spec({"name": "s", "variables": {name: {"states": states}}})


# -- YAML features ----------------------------------------------------------------------

def test_anchors_and_merge_keys_share_definitions():
    spec = from_yaml("""
name: shared
variables:
  A: &binary {states: [no, yes], cpd: [0.5, 0.5]}
  B:
    <<: *binary
    parents: [A]                   # explicit keys override merged ones
    cpd: [[0.5, 0.5], [0.1, 0.9]]
  C:
    <<: [*binary, {latent: true, states: [x, y]}]   # the first mapping listed wins
""")
    assert spec["B"].states == ("no", "yes") and spec["B"].parent_names == ("A",)
    assert spec["B"].cpd.table.tolist() == [[0.5, 0.5], [0.1, 0.9]]
    assert spec["C"].states == ("no", "yes") and spec["C"].latent
    assert spec["C"].cpd.table.tolist() == [0.5, 0.5]


def test_merge_precedence_is_pgmkits_own_rule():
    # YAML 1.1 merge: explicit keys > first mapping of the list > later ones, and a merged
    # mapping's own merges resolve first (the rule must not follow the parser's version)
    spec = from_yaml("""
name: merges
variables:
  A: &two {states: [a, b], cpd: [0.5, 0.5]}
  B: &three {states: [x, y, z], cpd: [0.2, 0.3, 0.5], latent: true}
  C: &nested {<<: *three, states: [p, q], cpd: [0.9, 0.1]}
  D: {<<: [*nested, *two]}
  E: {<<: [*two, *nested], cpd: [0.6, 0.4]}
""")
    assert spec["C"].states == ("p", "q") and spec["C"].latent
    assert spec["D"].states == ("p", "q") and spec["D"].cpd.table.tolist() == [0.9, 0.1]
    assert spec["D"].latent
    assert spec["E"].states == ("a", "b") and spec["E"].cpd.table.tolist() == [0.6, 0.4]
    assert spec["E"].latent  # only the later mapping has the key: it still merges


@pytest.mark.parametrize("text, fragment", [
    ("name: d\nvariables:\n  A: {states: [a, b], states: [c]}\n",
     "line 3: duplicate key 'states' (first at line 3)"),
    ("name: d\nvariables:\n  A: &a {states: [a, b]}\n  B:\n    <<: *a\n    states: [x]\n"
     "    states: [y]\n", "line 7: duplicate key 'states' (first at line 6)"),
    ("name: m\nvariables:\n  A:\n    <<: 3\n",
     "line 4: YAML error: expected a mapping or list of mappings for merging"),
    ("name: r\nvariables: &v\n  A: *v\n", "a YAML alias contains itself"),
])
def test_yaml_mistakes(text, fragment):
    with pytest.raises(SpecError) as info:
        from_yaml(text)
    assert fragment in str(info.value)


# -- table forms ------------------------------------------------------------------------

ALARM_COMPACT = """
name: alarm
description: Pearl's burglary alarm (AIMA Figure 14.2 numbers).
variables:
  Burglary: {states: [no, yes], cpd: {no: 0.999, yes: 0.001}}
  Earthquake: {states: [no, yes], cpd: {yes: 0.002, no: 0.998}}
  Alarm:
    states: [no, yes]
    parents: [Burglary, Earthquake]
    cpd: [[0.999, 0.001], [0.71, 0.29], [0.06, 0.94], [0.05, 0.95]]
  JohnCalls:
    states: [no, yes]
    parents: [Alarm]
    cpd: [[0.95, 0.05], [0.10, 0.90]]
  MaryCalls:
    states: [no, yes]
    parents: [Alarm]
    cpd:
      yes: {yes: 0.70, no: 0.30}
      no: {no: 0.99, yes: 0.01}
"""


def test_readable_compact_and_map_forms_build_equal_specs():
    readable = read_spec(ZOO_DIR / "alarm.yaml")
    compact = from_yaml(ALARM_COMPACT)
    assert compact == readable
    # the compact rows are C order: the last parent (Earthquake) varies fastest
    assert compact["Alarm"].cpd.table[1, 0].tolist() == [0.06, 0.94]  # Burglary=yes, Earthquake=no


def test_nested_compact_table_and_numpy_arrays():
    table = np.array([[[0.999, 0.001], [0.71, 0.29]], [[0.06, 0.94], [0.05, 0.95]]])
    raw = to_dict(read_spec(ZOO_DIR / "alarm.yaml"))
    raw["variables"]["Alarm"]["cpd"] = table.tolist()  # one nesting level per parent
    nested = build_spec(raw)
    raw["variables"]["Alarm"]["cpd"] = table  # a numpy array from Python
    raw["variables"]["Burglary"]["cpd"] = np.array([0.999, 0.001])
    assert nested == build_spec(raw) == read_spec(ZOO_DIR / "alarm.yaml")


def test_python_dict_and_yaml_build_equal_specs():
    definition = {
        "name": "alarm",
        "description": "Pearl's burglary alarm (AIMA Figure 14.2 numbers).",
        "variables": {
            "Burglary": {"states": ["no", "yes"], "cpd": [0.999, 0.001]},
            "Earthquake": {"states": ["no", "yes"], "cpd": [0.998, 0.002]},
            "Alarm": {"states": ["no", "yes"], "parents": ["Burglary", "Earthquake"],
                      "cpd": {"no, no": [0.999, 0.001], "no, yes": [0.71, 0.29],
                              "yes, no": [0.06, 0.94], "yes, yes": [0.05, 0.95]}},
            "JohnCalls": {"states": ["no", "yes"], "parents": ["Alarm"],
                          "cpd": {"no": [0.95, 0.05], "yes": [0.10, 0.90]}},
            "MaryCalls": {"states": ["no", "yes"], "parents": ["Alarm"],
                          "cpd": {"no": [0.99, 0.01], "yes": [0.30, 0.70]}},
        },
    }
    from_file = read_spec(ZOO_DIR / "alarm.yaml")
    assert build_spec(definition) == from_file
    assert pgmkit.model(definition).spec == pgmkit.load(ZOO_DIR / "alarm.yaml").spec
    # a row key may also be a tuple of states from Python
    definition["variables"]["Alarm"]["cpd"] = {("no", "no"): [0.999, 0.001],
                                               ("no", "yes"): [0.71, 0.29],
                                               ("yes", "no"): [0.06, 0.94],
                                               ("yes", "yes"): [0.05, 0.95]}
    assert build_spec(definition) == from_file


def test_rows_may_come_in_any_order_and_spaces_in_keys_do_not_matter():
    spec = from_yaml("""
name: s
variables:
  A: {states: [a0, a1], cpd: [0.5, 0.5]}
  B: {states: [b0, b1], cpd: [0.5, 0.5]}
  C:
    states: [c0, c1]
    parents: [A, B]
    cpd:
      "a1 ,b1": [0.4, 0.6]
      a0,b0: [0.1, 0.9]
      a1, b0: [0.3, 0.7]
      a0,   b1: [0.2, 0.8]
""")
    assert spec["C"].cpd.rows()[:, 0].tolist() == [0.1, 0.2, 0.3, 0.4]


def test_a_cpd_may_be_left_out_to_learn():
    spec = from_yaml("name: s\nvariables:\n  A: {states: [a, b]}\n  B: {states: [x, y], "
                     "parents: [A]}\n")
    assert spec.missing_cpds == ("A", "B")
    round_trips(spec)
    with pytest.raises(SpecError, match=r"'cpd' is empty: give a CPD or leave the key out"):
        from_yaml("name: s\nvariables:\n  A: {states: [a, b], cpd: }\n")


def test_with_cpds_gives_a_validated_copy():
    spec = read_spec(ZOO_DIR / "alarm.yaml")
    new = spec.with_cpds({"Burglary": TableCPD([0.9, 0.1])})
    assert new["Burglary"].cpd.table.tolist() == [0.9, 0.1] and new != spec
    assert spec["Burglary"].cpd.table.tolist() == [0.999, 0.001]  # the original is untouched
    with pytest.raises(SpecError, match=r"sums to 0.5, expected 1"):
        spec.with_cpds({"Burglary": TableCPD([0.4, 0.1])})


# -- temporal -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, name, lag", [
    ("Mastery[t-1]", "Mastery", 1), ("Mastery [ t - 1 ]", "Mastery", 1),
    ("Mastery[t]", "Mastery", 0), ("Mastery", "Mastery", 0), ("Skill 2[t-1]", "Skill 2", 1),
    ("Mastery[t-2]", "Mastery", 2),  # parses; validation allows lag 1 only
])
def test_lag_syntax_parses(text, name, lag):
    assert ParentRef.parse(text) == ParentRef(name, lag)


@pytest.mark.parametrize("text, fragment", [
    ("Mastery[t+1]", "points forward in time"), ("Mastery[t1]", "expected 'Name[t-1]'"),
    ("Mastery[s-1]", "cannot read parent"),
])
def test_bad_lag_syntax(text, fragment):
    with pytest.raises(SpecError) as info:
        ParentRef.parse(text)
    assert fragment in str(info.value)


BKT = """
name: tiny_bkt
temporal: true
variables:
  Mastery:
    states: [no, yes]
    latent: true
    parents: ["Mastery[t-1]"]
    initial: [0.8, 0.2]
    cpd:
      no:  [0.7, 0.3]
      yes: [0.0, 1.0]
  Correct:
    states: [0, 1]
    parents: [Mastery, "Correct[t-1]"]
    initial:
      no:  [0.75, 0.25]
      yes: [0.1, 0.9]
    cpd:
      no, 0:  [0.8, 0.2]
      no, 1:  [0.7, 0.3]
      yes, 0: [0.15, 0.85]
      yes, 1: [0.05, 0.95]
"""


def test_temporal_cpd_covers_all_parents_and_initial_the_same_slice_ones():
    spec = from_yaml(BKT)
    assert spec.temporal
    correct = spec["Correct"]
    assert correct.parents == (ParentRef("Mastery"), ParentRef("Correct", 1))
    assert correct.cpd.table.shape == (2, 2, 2)  # Mastery, Correct[t-1], Correct
    assert correct.initial.table.shape == (2, 2)  # Mastery, Correct
    assert correct.cpd.table[1, 0].tolist() == [0.15, 0.85]
    assert spec["Mastery"].initial.table.tolist() == [0.8, 0.2]
    round_trips(spec)


def test_temporal_variable_without_initial_is_still_to_learn():
    raw = parse_yaml(BKT)
    del raw["variables"]["Mastery"]["initial"]
    assert build_spec(raw).missing_cpds == ("Mastery",)


def test_initial_without_a_lagged_parent_is_refused():
    with pytest.raises(SpecError, match=r"has an 'initial' CPD but no lagged parent"):
        from_yaml("name: s\ntemporal: true\nvariables:\n  A: {states: [a, b], cpd: [0.5, 0.5], "
                  "initial: [0.5, 0.5]}\n")


# -- real variables, neural CPDs and guides ---------------------------------------------------

def test_normal_forms():
    base = "name: s\nvariables:\n  z: {states: [a, b], cpd: [0.5, 0.5]}\n  x:\n    real: [2]\n"
    keyed = from_yaml(base + "    parents: [z]\n    cpd: {normal: {loc: {a: [0, 1], b: [2, 3]}, "
                             "scale: {a: 1, b: 0.5}, learn: true}}\n")
    listed = from_yaml(base + "    parents: [z]\n    cpd: {normal: {loc: [[0, 1], [2, 3]], "
                              "scale: [1, 0.5], learn: true}}\n")
    assert keyed == listed
    cpd = keyed["x"].cpd
    assert isinstance(cpd, NormalCPD) and cpd.learn
    assert cpd.loc.tolist() == [[0, 1], [2, 3]] and cpd.scale.tolist() == [[1, 1], [0.5, 0.5]]
    round_trips(keyed)
    scalar = from_yaml(base + "    cpd: {normal: {loc: 0, scale: 1}}\n")
    assert scalar["x"].cpd.loc.tolist() == [0, 0] and not scalar["x"].cpd.learn
    assert from_yaml(base + "    cpd: {gaussian: {loc: 0, scale: 1}}\n") == scalar  # an alias
    assert from_yaml(base + "    cpd: {normal: }\n") == scalar  # defaults: N(0, 1)
    round_trips(scalar)


def test_normal_keys_are_read_like_table_row_keys():
    """'a1,b0', 'a1, b0' and a Python tuple name the same parent assignment."""
    head = {"A": {"states": ["a0", "a1"], "cpd": [0.5, 0.5]},
            "B": {"states": ["b0", "b1"], "cpd": [0.5, 0.5]}}
    locs = [{"a0,b0": 0, "a0, b1": 1, ("a1", "b0"): 2, " a1 ,b1": 3},
            {"a0, b0": 0, "a0, b1": 1, "a1, b0": 2, "a1, b1": 3}]
    specs = [build_spec({"name": "n", "variables": {**head, "x": {
        "real": [], "parents": ["A", "B"], "cpd": {"normal": {"loc": loc, "scale": 1}}}}})
        for loc in locs]
    assert specs[0] == specs[1]
    assert specs[0]["x"].cpd.loc.tolist() == [[0, 1], [2, 3]]


def test_linear_gaussian_form():
    spec = from_yaml("""
name: lg
variables:
  u: {real: [3], cpd: {normal: {loc: 0, scale: 1}}}
  v: {real: [1], cpd: {normal: {loc: 0, scale: 1}}}
  x:
    real: [2]
    parents: [u, v]
    cpd:
      linear_gaussian:
        bias: [1, -1]
        weights: {u: [[1, 0, 0], [0, 1, 0]], v: [0.5, 2]}
        scale: 0.1
""")
    cpd = spec["x"].cpd
    assert isinstance(cpd, LinearGaussianCPD)
    assert [w.shape for w in cpd.weights] == [(2, 3), (2, 1)]
    assert cpd.weights[1].ravel().tolist() == [0.5, 2] and cpd.scale.tolist() == [0.1, 0.1]
    round_trips(spec)


def test_neural_and_guide_forms():
    spec = from_yaml("""
name: vae
variables:
  z: {real: [4], latent: true, beta: 2.0, cpd: {normal: {loc: 0, scale: 1}}}
  c: {states: [a, b, c], parents: [z], cpd: {neural: {family: categorical, hidden: 8}}}
  x:
    real: [16]
    parents: [z, c]
    cpd: {neural: {family: normal, hidden: [32, 16], activation: tanh, scale: learned}}
  y: {real: [16], parents: [z], cpd: {neural: {family: bernoulli, scale: }}}
  w: {real: [1], parents: [z], cpd: {neural: {family: normal, scale: 0.1}}}
guide:
  z: {neural: {given: [x, c], family: normal, hidden: [32], activation: softplus}}
""")
    assert spec["z"].beta == 2.0 and spec.latent_names == ("z",)
    assert spec["c"].cpd == NeuralCPD("categorical", (8,))
    assert spec["x"].cpd == NeuralCPD("normal", (32, 16), "tanh", None)
    assert spec["y"].cpd == NeuralCPD("bernoulli")
    assert spec["w"].cpd.scale == 0.1
    assert spec.guide["z"] == NeuralCPD("normal", (32,), "softplus", None, ("x", "c"))
    assert spec.has_neural and not spec.is_discrete
    round_trips(spec)


def test_guide_given_unknown_variable():
    with pytest.raises(SpecError, match=r"guide given 'xx' is not a variable of the model "
                                        r"\(did you mean 'x'\?\)"):
        from_yaml("name: s\nvariables:\n  z: {real: [1], latent: true, cpd: {normal: }}\n"
                  "  x: {real: [1], parents: [z], cpd: {neural: {family: normal}}}\n"
                  "guide:\n  z: {neural: {given: [xx], family: normal}}\n")


# -- random small specs (hypothesis) ------------------------------------------------------------

TRICKY = ["no", "yes", "on", "off", "true", "false", "null", "0", "1", "1.0", "01", "-", "~",
          "NO", "Yes", "1e3", ".nan", "a b", "x: y", "#x", "é", "[a]", "{b}", "'q'", '"d"', "&a",
          "*b", "!t", "%p", "@", "|", ">", "? x", "t-1"]
SAFE = string.ascii_letters + string.digits + " _-.:#'\"!&*%@|>?{}[]éß"
STATE = st.one_of(st.sampled_from(TRICKY),
                  st.text(SAFE, min_size=1, max_size=5).filter(lambda s: s == s.strip()),
                  st.text(min_size=1, max_size=4).filter(  # any printable unicode
                      lambda s: "," not in s and s == s.strip() and s.isprintable()))
VARIABLE = st.one_of(
    st.sampled_from(["yes", "no", "null", "true", "1", "on", "X", "Rain", "a b"]),
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True),
    st.text(min_size=1, max_size=4).filter(
        lambda s: not set(s) & set("[],") and s == s.strip() and s.isprintable()))


def _row_dict(states, probs):
    return {s: float(p) for s, p in zip(states, probs)}


@st.composite
def small_specs(draw, variable=VARIABLE, state=STATE, temporal=st.booleans()) -> dict:
    """A raw definition of a random small discrete network, temporal or not, in a random
    mix of the table forms."""
    temporal = draw(temporal)
    names = draw(st.lists(variable, min_size=1, max_size=4, unique=True))
    states = {n: draw(st.lists(state, min_size=1, max_size=3, unique=True)) for n in names}
    variables = {}
    for i, name in enumerate(names):
        parents = draw(st.lists(st.sampled_from(names[:i]), max_size=2, unique=True)) if i else []
        if temporal and draw(st.booleans()):
            parents.append(draw(st.sampled_from(names)) + "[t-1]")
        entry: dict = {"states": states[name]}
        if parents:
            entry["parents"] = parents
        if draw(st.booleans()):
            entry["latent"] = True
        if draw(st.integers(0, 5)):  # now and then leave the CPD to learn
            entry["cpd"] = _draw_table(draw, name, parents, states)
            if any("[t-1]" in p for p in parents):
                entry["initial"] = _draw_table(draw, name, [p for p in parents if "[" not in p],
                                               states)
        variables[name] = entry
    return {"name": "random", "temporal": temporal, "variables": variables}


def _draw_table(draw, name, parents, states):
    pstates = [states[p.split("[")[0]] for p in parents]
    n_rows = int(np.prod([len(s) for s in pstates])) if pstates else 1
    k = len(states[name])
    weights = draw(st.lists(st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k),
                            min_size=n_rows, max_size=n_rows))
    rows = [np.array(w) + 1e-3 for w in weights]
    rows = [r / r.sum() for r in rows]
    if not parents:
        return _row_dict(states[name], rows[0]) if draw(st.booleans()) else rows[0].tolist()
    form = draw(st.sampled_from(["readable", "compact", "maps"]))
    if form == "compact":
        return [r.tolist() for r in rows]
    import itertools

    keys = [", ".join(a) for a in itertools.product(*pstates)]
    if form == "maps":
        return {key: _row_dict(states[name], r) for key, r in zip(keys, rows)}
    return {key: r.tolist() for key, r in zip(keys, rows)}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_specs())
def test_random_specs_round_trip(raw):
    spec = build_spec(raw)
    round_trips(spec)
    # and the written YAML keeps every state name exactly
    again = from_yaml(dump_yaml(to_dict(spec)))
    assert again.states() == spec.states() == {k: tuple(v["states"]) for k, v in
                                               raw["variables"].items()}


IDENT = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,5}", fullmatch=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=small_specs(variable=IDENT, state=IDENT, temporal=st.just(False)))
def test_random_static_specs_round_trip_through_every_file_format(raw, tmp_path_factory):
    """BIF and XMLBIF hold complete static networks whose names are identifiers."""
    spec = build_spec(raw)
    folder = tmp_path_factory.mktemp("rt")
    for fmt in ("yaml", "json"):
        assert read_spec(write_spec(spec, folder / f"m.{fmt}")) == spec
    if spec.missing_cpds:
        return
    from test_zoo import assert_same_network

    for fmt in ("bif", "xmlbif"):
        assert_same_network(read_spec(write_spec(spec, folder / f"m.{fmt}")), spec)


# -- names the interchange formats cannot hold ------------------------------------------------

def _one_variable(states, name="A"):
    return build_spec({"name": "t", "variables": {name: {"states": states,
                                                         "cpd": [1 / len(states)] * len(states)}}})


def test_bif_keeps_bnlearn_style_state_names(tmp_path: Path):
    spec = _one_variable(["<0.5", "0.5-1", ">=1", "a/b", "+x", "a b", "1.0", "on"])
    assert read_spec(write_spec(spec, tmp_path / "m.bif")) == spec


@pytest.mark.parametrize("fmt, states, name, culprit", [
    ("xmlbif", ["1.0", "2"], "A", "state '1.0' of 'A'"),      # pgmpy would write '1_0'
    ("xmlbif", ["é", "b"], "A", "state 'é' of 'A'"),           # pgmpy would write '_'
    ("bif", ["(x)", "y"], "A", "state '(x)' of 'A'"),         # unreadable: rows go missing
    ("bif", ['"d"', "e"], "A", "state '\"d\"' of 'A'"),       # read back as 'd'
    ("bif", ["a", "b"], "My Var", "variable 'My Var'"),       # unreadable as a parent
])
def test_formats_refuse_names_they_would_change(tmp_path, fmt, states, name, culprit):
    from pgmkit.errors import UnsupportedError

    path = tmp_path / f"m.{fmt}"
    with pytest.raises(UnsupportedError) as info:
        write_spec(_one_variable(states, name), path)
    assert f"{fmt.upper()} cannot hold {culprit} as written" in str(info.value)
    assert "save as .yaml or .json instead" in str(info.value)
    assert not path.exists()
