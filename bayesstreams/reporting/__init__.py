"""Reports and briefs: view-models, figures, templates, rendering, the browser for PDFs."""
