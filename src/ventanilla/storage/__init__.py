"""Persistence: SQLAlchemy models, repositories, read queries and migrations."""
