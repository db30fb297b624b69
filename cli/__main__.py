"""`python -m cli`: the same as the `engagement` command."""

from cli.main import app

app()
