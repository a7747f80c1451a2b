"""Schools, sections and annual statistics; templates, import and export."""
