"""Run metrics: the daily summary, its figures and the HTML report."""
