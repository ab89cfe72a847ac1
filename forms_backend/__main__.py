"""`python -m forms_backend …`"""

import sys

from forms_backend.cli import main

sys.exit(main())
