"""Persistence: typed SQLAlchemy 2 models, the engine/session factory and the unit of work."""
