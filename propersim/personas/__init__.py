"""Personas: schema, vocabulary, generator, importer and statistics."""
