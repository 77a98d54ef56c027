"""Gridwork backend: the Flask application, its models, APIs, jobs and CLI."""
