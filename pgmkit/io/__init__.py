"""Reading and writing model files: YAML, JSON, BIF and XMLBIF."""
