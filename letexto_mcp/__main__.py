"""`python -m letexto_mcp` is the same as the `letexto-mcp` console script."""

from letexto_mcp.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
