"""Community (grid workers): patrol reports, task replies and resolution verification (回访)."""
