"""BIF and XMLBIF reading, in the shapes of pgmpy's own reader tests.

pgmpy's test files quote hyphenated names (``probability ( "light-on" "family-out" )``),
use the old head without ``|``, space-separated state lists, properties and comments,
and the JavaBayes XMLBIF DTD. The garden files here are written in those styles; they
must all read to the same network, whose numbers are checked by hand and against
pgmpy's readers. The malformed cases must each be one located ``SpecError``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pgmkit.errors import SpecError
from pgmkit.io.files import read_spec

DATA = Path(__file__).parent / "data"
GARDEN = ["garden.bif", "garden_modern.bif", "garden.xmlbif"]


def _garden_tables(spec) -> dict[str, np.ndarray]:
    return {v.name.replace("-", "_"): v.cpd.table for v in spec.variables}


@pytest.mark.parametrize("name", GARDEN)
def test_garden_reads_in_every_dialect(name):
    spec = read_spec(DATA / name)
    assert [v.name.replace("-", "_") for v in spec.variables] == [
        "cloudy_sky", "sprinkler_on", "rain", "wet_grass"]
    assert all(v.states == ("yes", "no") for v in spec.variables)   # quotes stripped
    parents = {v.name.replace("-", "_"): [p.name.replace("-", "_") for p in v.parents]
               for v in spec.variables}
    assert parents == {"cloudy_sky": [], "sprinkler_on": ["cloudy_sky"], "rain": ["cloudy_sky"],
                       "wet_grass": ["sprinkler_on", "rain"]}
    t = _garden_tables(spec)
    np.testing.assert_allclose(t["sprinkler_on"], [[0.1, 0.9], [0.5, 0.5]])
    np.testing.assert_allclose(t["rain"], [[0.8, 0.2], [0.2, 0.8]])
    # wet_grass[sprinkler, rain, wet]: by hand from the rows of garden_modern.bif
    np.testing.assert_allclose(t["wet_grass"][0, 0], [0.99, 0.01])
    np.testing.assert_allclose(t["wet_grass"][0, 1], [0.9, 0.1])
    np.testing.assert_allclose(t["wet_grass"][1, 0], [0.9, 0.1])
    np.testing.assert_allclose(t["wet_grass"][1, 1], [0.0, 1.0])


def test_network_name_comes_from_the_file():
    assert read_spec(DATA / "garden.bif").name == "Wet-Garden"
    assert read_spec(DATA / "garden.xmlbif").name == "garden"


def test_quoted_bif_answers_queries_like_the_unquoted_one():
    import pgmkit

    quoted, plain = pgmkit.load(DATA / "garden.bif"), pgmkit.load(DATA / "garden_modern.bif")
    a = quoted.query("rain", {"wet-grass": "yes"})["yes"]
    b = plain.query("rain", {"wet_grass": "yes"})["yes"]
    # by hand: P(rain=yes, wet=yes) / P(wet=yes) over cloudy and sprinkler
    joint = {}
    for c, pc in (("yes", .5), ("no", .5)):
        ps = {"yes": .1 if c == "yes" else .5}
        ps["no"] = 1 - ps["yes"]
        pr = {"yes": .8 if c == "yes" else .2}
        pr["no"] = 1 - pr["yes"]
        wet = {("yes", "yes"): .99, ("yes", "no"): .9, ("no", "yes"): .9, ("no", "no"): 0.0}
        for s in ("yes", "no"):
            for r in ("yes", "no"):
                joint[r] = joint.get(r, 0) + pc * ps[s] * pr[r] * wet[s, r]
    assert a == pytest.approx(joint["yes"] / (joint["yes"] + joint["no"]), abs=1e-12)
    assert b == pytest.approx(a, abs=1e-12)


def test_rows_may_come_in_any_order():
    """pgmpy's reordered-rows case: the same rows in another order read the same."""
    text = (DATA / "garden_modern.bif").read_text()
    lines = text.splitlines()
    start = lines.index("probability ( wet_grass | sprinkler_on, rain ) {") + 1
    rows = lines[start:start + 4]
    shuffled = "\n".join(lines[:start] + rows[::-1] + lines[start + 4:]) + "\n"
    a = read_spec(DATA / "garden_modern.bif")
    from pgmkit.io.bif import read

    b = read(shuffled, "bif", "shuffled.bif")
    np.testing.assert_array_equal(a["wet_grass"].cpd.table, b["wet_grass"].cpd.table)


@pytest.mark.parametrize("network", ["asia", "alarm", "child", "insurance", "sachs"])
def test_bnlearn_networks_read_as_pgmpy_reads_them(network):
    """pgmkit's reader against pgmpy's on the networks pgmpy ships (same states and
    numbers, axes put in pgmpy's order)."""
    from pgmpy.readwrite import BIFReader

    from pgmkit.api import _bnlearn_dir
    from pgmkit.io.safe import read_text

    path = _bnlearn_dir() / f"{network}.bif.gz"
    if not path.is_file():
        pytest.skip(f"pgmpy ships no {network}")
    spec = read_spec(path)
    reader = BIFReader(string=read_text(path))
    for v in spec.variables:
        assert list(v.states) == reader.variable_states[v.name]
        assert [p.name for p in v.parents] == reader.variable_parents[v.name]
        theirs = np.asarray(reader.variable_cpds[v.name], dtype=float)
        ours = v.cpd.table.reshape(-1, v.card).T
        np.testing.assert_allclose(ours, theirs.reshape(ours.shape), atol=0)


# -- malformed files: one located SpecError each ------------------------------------

GOOD = (DATA / "garden_modern.bif").read_text()


def _bad(tmp_path, text, name="bad.bif") -> SpecError:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        read_spec(path)
    return info.value


@pytest.mark.parametrize("cut", [40, 200, 400, len(GOOD) - 3])
def test_truncated_bif(tmp_path, cut):
    err = _bad(tmp_path, GOOD[:cut])
    assert "truncated" in str(err) or "missing CPD" in str(err) or "ends inside" in str(err)


def test_variable_declared_twice(tmp_path):
    twice = GOOD.replace("variable rain {", "variable rain {\n  type discrete [ 2 ] { a, b };\n}\n"
                         "variable rain {", 1)
    err = _bad(tmp_path, twice)
    assert "'rain'" in str(err) and "declared twice" in str(err)
    assert err.problems[0].line == 12 and "first at line 9" in str(err)


def test_state_listed_twice(tmp_path):
    err = _bad(tmp_path, GOOD.replace("variable rain {\n  type discrete [ 2 ] { yes, no }",
                                      "variable rain {\n  type discrete [ 2 ] { yes, yes }"))
    assert "lists state(s) ['yes'] more than once" in str(err)


def test_declared_count_differs(tmp_path):
    err = _bad(tmp_path, GOOD.replace("variable rain {\n  type discrete [ 2 ]",
                                      "variable rain {\n  type discrete [ 3 ]"))
    assert "declares [3] states but lists 2" in str(err)


@pytest.mark.parametrize("old, new, fragment", [
    ("(yes, no) 0.9, 0.1;", "(yes, no) 0.9, 0.1, 0.0;", "has 3 numbers; expected 2"),
    ("(yes, no) 0.9, 0.1;", "(yes, maybe) 0.9, 0.1;", "'maybe' is not a state of parent 'rain'"),
    ("(yes, no) 0.9, 0.1;", "(yes, yes) 0.9, 0.1;", "is given twice"),
    ("(yes, no) 0.9, 0.1;", "", "no row for parents (yes, no)"),
    ("(yes, no) 0.9, 0.1;", "(yes, no) 0.9, abc;", "expected a probability; found 'abc'"),
    ("table 0.5, 0.5;", "table 0.5, 0.3, 0.2;", "table has 3 numbers; expected 2"),
])
def test_bad_rows(tmp_path, old, new, fragment):
    assert fragment in str(_bad(tmp_path, GOOD.replace(old, new)))


def test_xmlbif_table_of_the_wrong_size(tmp_path):
    text = (DATA / "garden.xmlbif").read_text().replace("<TABLE>0.8 0.2 0.2 0.8 </TABLE>",
                                                        "<TABLE>0.8 0.2 0.2</TABLE>")
    err = _bad(tmp_path, text, "bad.xmlbif")
    assert "<TABLE> has 3 numbers; expected 4" in str(err)
    assert err.problems[0].variable == "rain" and err.problems[0].line is not None


def test_xmlbif_state_twice_and_entities(tmp_path):
    text = (DATA / "garden.xmlbif").read_text()
    twice = text.replace("<NAME>rain</NAME>\n    <OUTCOME>yes</OUTCOME>\n    <OUTCOME>no",
                         "<NAME>rain</NAME>\n    <OUTCOME>yes</OUTCOME>\n    <OUTCOME>yes")
    assert "more than once" in str(_bad(tmp_path, twice, "twice.xmlbif"))
    bomb = text.replace("]>", '<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;&a;">\n]>', 1)
    assert "<!ENTITY>" in str(_bad(tmp_path, bomb, "bomb.xmlbif"))
