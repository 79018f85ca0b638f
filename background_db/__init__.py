"""background_db: see ARCHITECTURE.md; filled by its own issue."""
