"""`python -m fxcore` = the `fxcore` command."""

import sys

from .cli import main

sys.exit(main())
