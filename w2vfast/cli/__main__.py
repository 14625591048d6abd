"""`python -m w2vfast.cli`: the same as the `w2vfast` command."""
import sys

from . import main

sys.exit(main())
