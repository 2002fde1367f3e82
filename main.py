"""Entry point: `python main.py` opens the window on the bundled sample; `python main.py COMMAND ...`
runs a command (track, eval, train, export, import, gui). See `python main.py --help`."""
import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
