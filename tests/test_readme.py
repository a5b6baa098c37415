"""The README's Python examples run as written (from a scratch copy of the zoo paths)."""
import re

import pytest

from tests.conftest import ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = (BLOCKS[index].replace('"alarm_fitted.yaml"', repr(str(tmp_path / "alarm_fitted.yaml")))
            .replace('"runs/vae"', repr(str(tmp_path / "vae")))
            .replace('"learned.svg"', repr(str(tmp_path / "learned.svg"))))
    namespace: dict = {}
    exec(compile(code, f"README.md block {index}", "exec"), namespace)
    if 'post = bn.query("Burglary"' in BLOCKS[index]:    # the first-model block
        assert round(namespace["post"]["yes"], 4) == 0.2842
        assert namespace["bn"].map(evidence={"JohnCalls": "yes", "MaryCalls": "yes"})["Alarm"] == "yes"


def test_readme_has_the_examples():
    assert len(BLOCKS) >= 3
