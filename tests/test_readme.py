"""The README's Python example runs as written (from the repository root)."""
import re

from tests.conftest import ROOT


def test_readme_first_model_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    monkeypatch.chdir(ROOT)
    code = block.replace('"alarm_fitted.yaml"', repr(str(tmp_path / "alarm_fitted.yaml")))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert round(namespace["post"]["yes"], 4) == 0.2842
    assert namespace["bn"].map(evidence={"JohnCalls": "yes", "MaryCalls": "yes"})["Alarm"] == "yes"
