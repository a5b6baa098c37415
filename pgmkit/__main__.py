"""``python -m pgmkit`` runs the command line."""
import sys

from pgmkit.cli.main import main

sys.exit(main())
