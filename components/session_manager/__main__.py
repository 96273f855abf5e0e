import sys

from session_manager.cli import main

sys.exit(main())
