import sys

from iitbench.cli.main import main

sys.exit(main())
