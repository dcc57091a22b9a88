"""Published JSON Schemas: the variance report and the prompt contract (generated from the pydantic models)."""
