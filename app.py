"""The assistant's entry point: ``python app.py COMMAND`` (commands in ``cli``).

Objects are built in ``composition`` (the composition root); nothing imports this module.
"""

import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main())
