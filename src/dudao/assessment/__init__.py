"""County assessments: recorded county facts, frozen results, diffs."""
