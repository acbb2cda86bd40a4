"""``python -m scalpernet`` runs the CLI."""

from scalpernet.cli import main

main()
