"""docs/language.md stays true: its examples run and its error messages are the real ones.

Fenced blocks of the page, in order:

- ```yaml          a whole model: it must build; it is saved as ``<name>.yaml`` so the
                   Python blocks after it can read it.
- ```yaml error    a model with mistakes: reading it (as ``model.yaml``) must raise a
                   SpecError whose text is exactly the next ```text block.
- ```python        run in order in one namespace, in that folder (``models/`` points at
                   the zoo).

The table of messages in the Errors section must quote messages that the bad-spec
corpus really produces.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pgmkit.errors import SpecError
from pgmkit.io.files import read_spec
from pgmkit.spec.yaml_io import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "language.md"
BAD = Path(__file__).parent / "bad"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str, str]]:
    return [(m.group(1), m.group(2).strip(), m.group(3)) for m in FENCE.finditer(DOC.read_text())]


def test_the_page_has_examples_of_each_kind():
    kinds = [(lang, info) for lang, info, _ in blocks()]
    assert kinds.count(("yaml", "")) >= 8
    assert kinds.count(("yaml", "error")) >= 3
    assert kinds.count(("python", "")) >= 3


def test_every_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("pgmkit.bayesnet", reason="the Python examples query a BayesNet")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").symlink_to(ROOT / "models")
    namespace: dict = {}
    found = blocks()
    for i, (lang, info, body) in enumerate(found):
        if lang == "yaml" and info == "":
            name = str(parse_yaml(body)["name"])
            path = Path(f"{name}.yaml")
            path.write_text(body)
            spec = read_spec(path)
            assert spec.name == name
        elif lang == "yaml" and info == "error":
            Path("model.yaml").write_text(body)
            with pytest.raises(SpecError) as err:
                read_spec("model.yaml")
            nxt = found[i + 1]
            assert nxt[0] == "text", f"the error example {i} needs a ```text block after it"
            assert str(err.value) == nxt[2].rstrip("\n"), f"example {i}:\n{err.value}"
        elif lang == "python":
            exec(compile(body, f"{DOC.name}, python block {i}", "exec"), namespace)


def _corpus_messages() -> list[str]:
    out = []
    for path in sorted(BAD.iterdir()):
        try:
            read_spec(path)
        except SpecError as err:
            out += [p.message for p in err.problems]
    return out


def test_the_table_of_messages_quotes_real_messages():
    text = DOC.read_text()
    section = text[text.index("The other mistakes and their messages"):]
    quoted = re.findall(r"^\| [^|]+ \| `(.+)` \|$", section, re.MULTILINE)
    assert len(quoted) >= 20
    messages = _corpus_messages()
    try:
        import pgmkit

        pgmkit.load(BAD / "missing_cpd.yaml").query("Cloudy")
    except SpecError as err:
        messages.append(str(err))
    except ModuleNotFoundError:
        pass
    missing = [q for q in quoted if not any(q in m for m in messages)]
    assert not missing, f"quoted in the docs but not produced: {missing}"
