"""What the book shows: paper numbers, tables, figures, notebook checks and the batch of results pages."""
