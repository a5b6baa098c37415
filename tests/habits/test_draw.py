"""Pictures: the graph by extension, CPT heat maps, a sequence's posteriors over time."""
from __future__ import annotations

import pytest

import pgmkit
from tests.conftest import run_cli

PNG = b"\x89PNG\r\n\x1a\n"


def test_draw_writes_png_or_svg_by_extension(tmp_path):
    bn = pgmkit.example("asia")
    assert bn.draw(tmp_path / "asia.png").read_bytes().startswith(PNG)
    svg = bn.draw(tmp_path / "asia.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    with pytest.raises(pgmkit.DataError, match="'.*asia.gif'.*\\.png"):
        bn.draw(tmp_path / "asia.gif")


def test_latent_nodes_are_shaded_and_templates_have_two_slices(tmp_path):
    from pgmkit.draw import LATENT, graph_positions

    m = pgmkit.example("bkt")
    svg = m.draw(tmp_path / "bkt.svg").read_text().lower()
    assert LATENT.lower() in svg
    pos = graph_positions(m.to_networkx())
    assert pos["mastery[t-1]"][0] < pos["mastery"][0] == pos["correct"][0]
    assert pos["mastery"][1] > pos["correct"][1]                 # parent above child


def test_cpt_heat_map_and_sequence_plot(tmp_path):
    bn = pgmkit.example("alarm")
    assert bn.plot_cpt("Alarm", tmp_path / "cpt.png").read_bytes().startswith(PNG)
    hmm = pgmkit.example("hmm")
    logs = hmm.sample_sequences(3, 12, seed=0).drop(columns="weather")
    out = hmm.plot_sequence(logs, tmp_path / "seq.png", sequence_id=1, how="filter")
    assert out.read_bytes().startswith(PNG)
    with pytest.raises(pgmkit.EvidenceError, match="no sequence '9'"):
        hmm.plot_sequence(logs, tmp_path / "seq.png", sequence_id=9)


def test_cli_draw(tmp_path):
    out = run_cli("draw", "bkt", "-o", tmp_path / "bkt.png", "--json")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "bkt.png").read_bytes().startswith(PNG)
