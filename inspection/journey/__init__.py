"""The child's journey: linkage across agencies, journeys, indicators, chronology."""
