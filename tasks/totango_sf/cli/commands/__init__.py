"""The totango-sf commands, one module each; cli/app.py registers them."""
