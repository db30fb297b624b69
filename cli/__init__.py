"""The `engagement` command line, an edge like tools/: options in, the core's answers formatted out.

`main` holds the app and the report commands; `capture`, `install` their own groups; `views` the rich
renderings; `common` the error handling every command shares.
"""

from cli.main import app

__all__ = ["app"]
