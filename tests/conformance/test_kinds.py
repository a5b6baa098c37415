"""Every registered CPD kind: its example round-trips through save/load, and every
backend rule it names resolves (what supports() claims is what compiles)."""
from __future__ import annotations

import pytest

import pgmkit
from pgmkit.backends.contract import engines, resolve
from pgmkit.spec import kinds
from pgmkit.spec.build import build_spec


@pytest.mark.parametrize("kind", kinds.names())
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_kind_round_trips_through_save_and_load(kind, suffix, tmp_path):
    spec = build_spec(kinds.get(kind).example)
    assert kind in spec.kinds()
    model = pgmkit.wrap(spec)
    path = model.save(tmp_path / f"model{suffix}")
    assert pgmkit.load(path).spec == spec


@pytest.mark.parametrize("kind", kinds.names())
def test_kind_runs_where_a_backend_claims_it(kind, backend):
    spec = build_spec(kinds.get(kind).example)
    eng = engines()[backend]
    claims = kind in eng.compile
    ran = [op for op in eng.operations if eng.supports(spec, op)]
    assert bool(ran) <= claims       # no operation runs a kind without a compile rule
    if claims:
        rule = resolve(eng.compile[kind])
        assert callable(rule)


def test_every_rule_of_every_engine_resolves():
    for eng in engines().values():
        for kind, path in eng.compile.items():
            assert kind in kinds.KINDS, f"{eng.name} has a rule for unregistered kind {kind}"
            assert callable(resolve(path)), path
        for op, rule in eng.operations.items():
            assert callable(resolve(rule.impl)), rule.impl
