"""Organisation hierarchy: province → prefecture → county (→ schools, in dudao.schools)."""
