"""``python -m quantum_frames.cli``."""

import sys

from quantum_frames.cli import main

sys.exit(main())
