"""The PostgreSQL full-text search backend."""
