"""label_cert: see ARCHITECTURE.md; filled by its own issue."""
