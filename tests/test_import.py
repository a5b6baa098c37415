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


def test_exact_queries_on_the_own_engine_import_no_engine():
    code = ("import pgmkit\nbn = pgmkit.example('alarm')\nev = {'JohnCalls': 'yes'}\n"
            "bn.query('Burglary', ev); bn.query(['Burglary', 'Alarm'], ev)\n"
            "bn.probability(ev); bn.map(['Burglary'], ev); bn.map(evidence=ev)\n"
            "bn.sample(10, evidence=ev, seed=0); bn.log_likelihood(bn.sample(5, seed=0))\n"
            "import pandas as pd\nbn.query_batch(None, pd.DataFrame({'JohnCalls': ['yes']}))")
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_engine_is_imported_when_a_model_is_queried_through_it():
    loaded = _modules_after("import pgmkit\n"
                            "pgmkit.example('alarm', backend='pgmpy').query('Burglary')")
    assert "pgmpy" in loaded
    # pgmpy 1.1 imports torch and pyro itself; pgmkit must not add pomegranate.
    assert "pomegranate" not in loaded


def test_the_spec_picks_the_model_class():
    import pgmkit

    discrete_neural = pgmkit.model({"variables": {
        "a": {"states": ["x", "y"], "cpd": [0.5, 0.5]},
        "b": {"states": ["u", "v"], "parents": ["a"],
              "cpd": {"neural": {"family": "categorical", "hidden": [4]}}}}})
    assert type(discrete_neural).__name__ == "DeepModel"
    assert type(pgmkit.example("alarm")).__name__ == "BayesNet"
    assert type(pgmkit.example("bkt")).__name__ == "DynamicBayesNet"
    assert type(pgmkit.example("gmm")).__name__ == "MixtureModel"
    assert type(pgmkit.example("gmm", backend="pyro")).__name__ == "DeepModel"
    assert type(pgmkit.example("vae")).__name__ == "DeepModel"
    # A named backend keeps the class that answers queries: alarm on pyro is a BayesNet.
    assert type(pgmkit.example("alarm", backend="pyro")).__name__ == "BayesNet"
