"""Quality evaluation: value-added of schools from students' scores (stored runs, pages, reports)."""
