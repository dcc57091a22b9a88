"""The promptlint language server (``promptlint server``): diagnostics, quick-fixes,
"disable for this line", fix-all, rewrite with a local model, and hovers, over
stdio with pygls."""
