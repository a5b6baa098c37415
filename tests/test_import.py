"""`import pgmkit` stays light: no engine is imported until a model needs it."""
import subprocess
import sys

HEAVY = ("torch", "pyro", "pomegranate", "pgmpy")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return {m.split(".")[0] for m in out.split()}


def test_import_pgmkit_imports_no_engine():
    loaded = _modules_after("import pgmkit")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_reading_and_validating_a_spec_imports_no_engine():
    code = ("import pgmkit\nfrom pgmkit.io.files import read_spec\n"
            "from pgmkit.api import MODELS_DIR\nread_spec(MODELS_DIR / 'alarm.yaml')")
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_engine_is_imported_when_a_model_is_queried():
    loaded = _modules_after("import pgmkit\npgmkit.example('alarm').query('Burglary')")
    assert "pgmpy" in loaded
    # pgmpy 1.1 imports torch and pyro itself; pgmkit must not add pomegranate.
    assert "pomegranate" not in loaded
