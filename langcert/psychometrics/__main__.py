"""``python -m langcert.psychometrics`` entry point."""

from .cli import main

raise SystemExit(main())
