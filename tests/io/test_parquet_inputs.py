"""Parquet inputs go through the safe-file rules: a missing path, a FIFO, a device, a
folder without Parquet files or a corrupt file is one DataError naming the path (the CLI
exits 2 with one line), never a hang or a raw pyarrow exception. Dask frames still pass
the argument validator."""
from __future__ import annotations

import os

import numpy as np
import pytest

import pgmkit
from pgmkit.errors import DataError
from tests.conftest import run_cli

dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def sprinkler():
    return pgmkit.example("sprinkler")


@pytest.fixture(scope="module")
def good(tmp_path_factory, sprinkler):
    path = tmp_path_factory.mktemp("pq") / "rows.parquet"
    sprinkler.sample(300, seed=0).to_parquet(path, index=False)
    return path


def _bad_paths(tmp_path, good):
    fifo = tmp_path / "pipe.parquet"
    os.mkfifo(fifo)
    empty = tmp_path / "empty.parquet"
    empty.mkdir()
    (empty / "notes.txt").write_text("no data here")
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 this is not a parquet footer")
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    nested = tmp_path / "nested"
    nested.mkdir()
    (nested / "part.0.parquet").write_bytes(b"garbage")
    return [(tmp_path / "missing.parquet", "no such file"),
            (fifo, "is a FIFO (named pipe)"),
            (empty, "folder holds no .parquet files"),
            (corrupt, "not a readable Parquet file"),
            (truncated, "not a readable Parquet file"),
            (nested, "not a readable Parquet file")]


def test_bad_parquet_paths_are_named_data_errors(tmp_path, good):
    from pgmkit.distributed.frames import read_parquet

    for path, fragment in _bad_paths(tmp_path, good):
        with pytest.raises(DataError) as info:
            read_parquet(path)
        message = str(info.value)
        assert str(path) in message and fragment in message, message
        assert "\n" not in message


def test_device_named_parquet(tmp_path):
    from pgmkit.distributed.frames import read_parquet

    link = tmp_path / "zero.parquet"
    link.symlink_to("/dev/zero")
    with pytest.raises(DataError, match="is a device"):
        read_parquet(link)


def test_good_parquet_fits_like_pandas(good, sprinkler):
    from pgmkit.distributed.frames import read_parquet

    frame = read_parquet(good)
    via_dask = sprinkler.copy().fit(frame)
    via_pandas = sprinkler.copy().fit(frame.compute())
    for var in ("Rain", "Sprinkler", "WetGrass"):
        np.testing.assert_allclose(via_dask.cpd(var).values, via_pandas.cpd(var).values)


def test_dask_frames_pass_the_validator(sprinkler, good):
    frame = dd.read_parquet(str(good))
    assert np.isclose(sprinkler.log_likelihood(frame), sprinkler.log_likelihood(frame.compute()))
    post = sprinkler.query_batch("Rain", frame.drop(columns=["Rain"]))
    expected = sprinkler.query_batch("Rain", frame.drop(columns=["Rain"]).compute())
    got = post.compute() if hasattr(post, "compute") else post
    np.testing.assert_allclose(got.filter(like="P(").to_numpy(), expected.filter(like="P(").to_numpy())
    with pytest.raises(DataError, match="argument 'n'"):
        sprinkler.sample(True)


def test_cli_bad_parquet_exits_2_with_one_line(tmp_path, good):
    for path, fragment in _bad_paths(tmp_path, good):
        if "FIFO" in fragment:
            continue        # covered above; a subprocess per case keeps this test short
        result = run_cli("fit", "sprinkler", path, "-o", tmp_path / "out.yaml")
        assert result.returncode == 2, (path, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0] and str(path) in lines[0], result.stderr
    assert not (tmp_path / "out.yaml").exists()
