"""Run data: the Arrow schema and the Parquet store."""
