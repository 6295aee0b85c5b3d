import sys

from evidence.upload.cli import main

sys.exit(main())
