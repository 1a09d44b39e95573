"""The benchmark (`make bench`): bench/run.py seeds PostgreSQL, serves the app with gunicorn and measures."""
