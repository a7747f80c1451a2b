"""Student aid (学生资助): identification of needy students, eligibility, coverage and publication."""
