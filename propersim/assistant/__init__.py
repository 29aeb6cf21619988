"""The assistant: policies and their content."""
