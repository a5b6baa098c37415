"""Hostile paths and files: each one named SpecError/DataError, no hang, no blow-up."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

import pgmkit
from pgmkit.errors import DataError, PgmkitError, SpecError
from pgmkit.io import safe
from pgmkit.io.files import read_spec

COIN = "name: coin\nvariables:\n  C: {states: [h, t], cpd: [%s]}\n"


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def test_fifo_device_directory_and_link_loop_are_refused(tmp_path):
    fifo = tmp_path / "m.yaml"
    os.mkfifo(fifo)                       # reading it would block forever
    with pytest.raises(SpecError, match="FIFO"):
        pgmkit.load(fifo)
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")          # reading it would never end
    with pytest.raises(SpecError, match="is a device"):
        read_spec(zero)
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    with pytest.raises(SpecError, match="loop of symbolic links"):
        read_spec(loop)
    folder = tmp_path / "d.yaml"
    folder.mkdir()
    with pytest.raises(SpecError, match="is a directory"):
        read_spec(folder)
    from pgmkit.data.tables import read_csv

    with pytest.raises(DataError, match="FIFO"):
        read_csv(fifo)                    # data readers share the opener


def test_size_limit(tmp_path, monkeypatch):
    p = _write(tmp_path, "big.yaml", COIN % "0.5, 0.5" + "# padding\n" * 200)
    monkeypatch.setattr(safe, "DEFAULT_LIMIT", 100)
    monkeypatch.setattr("pgmkit.io.files.MAX_MODEL_BYTES", 100)
    with pytest.raises(SpecError, match="at most 100 bytes"):
        read_spec(p)
    # a small gzip that inflates past the limit is refused too
    g = _write(tmp_path, "bomb.yaml.gz", gzip.compress(b"#" * 10_000))
    with pytest.raises(SpecError, match="decompresses to more than 100 bytes"):
        read_spec(g)


def test_gzip_errors(tmp_path):
    with pytest.raises(SpecError, match="not a valid gzip file"):
        read_spec(_write(tmp_path, "a.yaml.gz", COIN % "0.5, 0.5"))
    packed = gzip.compress((COIN % "0.5, 0.5").encode() * 20)
    with pytest.raises(SpecError, match="truncated"):
        read_spec(_write(tmp_path, "b.yaml.gz", packed[: len(packed) // 2]))
    assert read_spec(_write(tmp_path, "c.yaml.gz", gzip.compress((COIN % "0.5, 0.5").encode())))


def test_alias_bomb_and_deep_nesting(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):                 # 10^9 nodes once expanded
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(SpecError, match="alias bomb"):
        read_spec(_write(tmp_path, "bomb.yaml", "\n".join(lines) + "\nvariables: {}\n"))
    deep = "name: x\nvariables: " + "[" * 50_000 + "]" * 50_000 + "\n"
    with pytest.raises(SpecError, match="nested"):
        read_spec(_write(tmp_path, "deep.yaml", deep))
    with pytest.raises(SpecError, match="nested"):
        read_spec(_write(tmp_path, "deep.json", '{"variables": ' + "[" * 50_000 + "]" * 50_000 + "}"))


@pytest.mark.parametrize("name, text, fragment", [
    ("tag.yaml", "name: !!python/object/apply:os.system ['true']\n" + (COIN % "0.5, 0.5")[11:],
     "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("custom.yaml", COIN % "!half 0.5, 0.5", "YAML tag '!half' is not allowed"),
    ("text.yaml", COIN % '"0.5", 0.5', "received '0.5' as text"),
    ("real.yaml", "name: r\nvariables:\n  x: {real: '8', cpd: {normal: {}}}\n",
     "'real' must be a shape such as [8]"),
    ("neg.yaml", "name: r\nvariables:\n  x: {real: [-3], cpd: {normal: {}}}\n",
     "positive whole numbers"),
    ("listname.yaml", "name: [a, b]\n" + (COIN % "0.5, 0.5")[11:], "'name' must be one text"),
    ("dup.json", '{"name": "x", "variables": {"C": {"states": ["h", "t"], "cpd": [0.5, 0.5]},'
     ' "C": {"states": ["a", "b"], "cpd": [0.5, 0.5]}}}', "duplicate key 'C'"),
    ("str.json", '{"variables": {"C": {"states": ["h", "t"], "cpd": ["0.5", 0.5]}}}',
     "received '0.5' as text"),
])
def test_values_are_refused_not_coerced(tmp_path, name, text, fragment):
    with pytest.raises(SpecError) as info:
        read_spec(_write(tmp_path, name, text))
    assert fragment in str(info.value)
    assert all(p.source for p in info.value.problems)         # located in the file


def test_size_budgets_refuse_before_allocating():
    parents = {f"A{i}": {"states": [str(j) for j in range(10)]} for i in range(9)}
    child = {"states": [str(j) for j in range(10)], "parents": list(parents)}
    with pytest.raises(SpecError, match=r"needs 1e\+10 cells.*limit is 1e\+08"):
        pgmkit.model({"name": "b", "variables": {**parents, "B": child}})
    vae = {"z": {"real": [2], "latent": True, "cpd": {"normal": {}}},
           "x": {"real": [4], "parents": ["z"],
                 "cpd": {"neural": {"family": "normal", "hidden": [2_000_000_000]}}}}
    with pytest.raises(SpecError, match="weights; the limit is"):
        pgmkit.model({"name": "v", "variables": vae})


def test_many_states_validate_in_linear_time():
    states = [f"s{i}" for i in range(100_000)]
    m = pgmkit.model({"name": "wide", "variables": {"A": {"states": states}}})
    assert m.spec["A"].card == 100_000
    with pytest.raises(SpecError, match=r"lists state\(s\) \['s7'\] more than once"):
        pgmkit.model({"name": "wide", "variables": {"A": {"states": states + ["s7"]}}})


# -- writing --------------------------------------------------------------------------

def test_atomic_write_refuses_bad_targets(tmp_path):
    spec = pgmkit.example("alarm").spec
    src = tmp_path / "in.yaml"
    pgmkit.example("alarm").save(src)
    before = src.read_text()
    from pgmkit.io.files import write_spec

    with pytest.raises(DataError, match="also an input"):
        write_spec(spec, src, inputs=[src])
    assert src.read_text() == before
    with pytest.raises(DataError, match="is a device"):
        write_spec(spec, Path("/dev/full"), fmt="yaml")
    with pytest.raises(DataError, match="is a file, not a folder|parent of this path is a file"):
        write_spec(spec, src / "x.yaml")
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(DataError, match="is a directory"):
        write_spec(spec, tmp_path / "dir.yaml")
    out = write_spec(spec, tmp_path / "new" / "deeper" / "out.json")
    assert read_spec(out) == spec
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.json"]   # no temp left


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old\n")

    def explode(tmp):
        Path(tmp).write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(DataError, match="No space left"):
        safe.atomic_write(target, explode)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_weights_files(tmp_path):
    torch = pytest.importorskip("torch")
    vae = pgmkit.example("vae")
    folder = vae.save(tmp_path / "vae")
    assert pgmkit.load(folder).spec == vae.spec
    (folder / "weights.pt").unlink()
    with pytest.raises(SpecError, match="weights.pt: missing"):
        pgmkit.load(folder)
    (folder / "weights.pt").mkdir()
    with pytest.raises(SpecError, match="is a directory"):
        pgmkit.load(folder)
    (folder / "weights.pt").rmdir()

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save({"x": Evil()}, folder / "weights.pt", _use_new_zipfile_serialization=True)
    with pytest.raises(SpecError, match="refused to load"):
        pgmkit.load(folder)                  # the weights_only guard holds, and is named
    (folder / "weights.pt").write_bytes(b"not a torch file")
    with pytest.raises(SpecError, match="refused to load|cannot load the weights file"):
        pgmkit.load(folder)
    with pytest.raises(PgmkitError):
        vae.fit(__import__("numpy").zeros((4, 64)), epochs=1, progress=False,
                checkpoint_dir=folder / "model.yaml")   # a file, not a folder
