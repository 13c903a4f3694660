"""Letters and messages about cases: Jinja2 templates (id, en), their context, and rendering."""
