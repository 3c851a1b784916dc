"""Allow `python -m generator …` as an alias for the `kommunenyt` command."""

from generator.cli import run

run()
