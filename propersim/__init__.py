"""propersim."""
