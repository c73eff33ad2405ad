"""The ``unrolled`` plugin's tests: their helper modules (unrolled_testdata.py) are imported by name."""

import sys
from pathlib import Path

# pytest's importlib import mode leaves sys.path alone: put this folder on it for the helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent))
