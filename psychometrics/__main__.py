"""``python -m psychometrics`` behaves exactly like the ``credkit`` command."""

from psychometrics.cli import main

if __name__ == "__main__":
    main(prog_name="credkit")
