"""When and how a patient is treated: protocols, practitioners, rooms, devices, courses,
sessions and their charts, the planner and the calendar."""
