"""Teachers: records, staffing against standards, rotation eligibility and the rotation planner."""
