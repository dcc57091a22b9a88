"""``python -m promptlint``."""

from .cli import main

main()
