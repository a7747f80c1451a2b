"""School places: births, enrolment by grade, catchment zones, capacity, projections and risks."""
