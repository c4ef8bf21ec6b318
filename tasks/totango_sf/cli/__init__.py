"""CLI: the typer commands that print what the lower stages return."""
