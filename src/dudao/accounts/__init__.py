"""Users, roles and the one permission check scoped to the org-unit tree."""
