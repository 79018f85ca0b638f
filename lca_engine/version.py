"""The engine's version, recorded on every intensity table and result."""

ENGINE_VERSION = "0.1.0"
