"""Targets and evaluation cycles: the share of counties recognised against the plans' targets, the terms of
county leaders and principals, and the schedule of who is due for evaluation (issue 5 item 7, issue 6 item 5)."""
