"""scripts/check_own_words.py finds wording a corpus entry kept from its page, and not shared facts."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from check_own_words import shared_runs  # noqa: E402

SOURCE = ("Our mission is to increase the GDP of the internet, and we have a staggering amount of work ahead. "
          "Requirements: Python, PyTorch, TensorFlow, Spark, Kubernetes, Airflow, MLflow, Docker.")


def test_a_clause_kept_in_the_pages_wording_is_found():
    text = "We want to grow the internet's GDP; we face a staggering amount of work ahead of us, honestly."
    assert shared_runs(text, SOURCE, 8) == []  # six shared words ("a staggering amount of work ahead"): reworded
    kept = "Our mission is to increase the GDP of the internet. Plenty to do."
    assert shared_runs(kept, SOURCE, 8) == ["our mission is to increase the gdp of the internet"]


def test_a_shared_list_of_tools_is_a_fact_not_wording():
    assert shared_runs("Tools: Python, PyTorch, TensorFlow, Spark, Kubernetes, Airflow, MLflow, Docker.", SOURCE, 8) == []
