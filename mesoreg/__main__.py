"""``python -m mesoreg`` runs the command-line interface."""

from mesoreg.cli import main

raise SystemExit(main())
