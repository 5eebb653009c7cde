"""tpu-build's runtime server (server.py) as an installable package; see pyproject.toml."""
