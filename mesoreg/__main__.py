"""``python -m mesoreg`` runs the command-line interface."""

from mesoreg._entry import main

raise SystemExit(main())
