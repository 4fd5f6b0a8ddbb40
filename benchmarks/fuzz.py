"""Heavy fuzzing of the shipped files: the mutation properties with a hundred times more examples.

    python benchmarks/fuzz.py            # HYPOTHESIS_PROFILE=fuzz pytest tests/test_mutation.py

CI runs the same properties with a small seeded profile (tests/conftest.py); this explores
new examples each run and prints the falsifying example of any failure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

if __name__ == "__main__":
    os.environ["HYPOTHESIS_PROFILE"] = "fuzz"
    root = Path(__file__).resolve().parent.parent
    sys.exit(pytest.main([str(root / "tests" / "test_mutation.py"), "-q", *sys.argv[1:]]))
