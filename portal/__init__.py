"""portal: see ARCHITECTURE.md; filled by its own issue."""
