"""``python -m mesoreg`` runs the command-line interface."""

from mesoreg.command._entry import main

raise SystemExit(main())
