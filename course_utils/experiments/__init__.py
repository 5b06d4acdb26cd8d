"""The lessons' experiments and figures: studies over seeds, schedules, accumulation, plots, the explorer and the Keras helpers the lessons use."""
