"""What the book shows, one module per family of chapters.

* :mod:`~laicpkg.book.records` — the runs as tables, means and sample standard deviations over seeds;
* :mod:`~laicpkg.book.paper` — the papers' numbers, and the twins measured against them;
* :mod:`~laicpkg.book.findings` — the numbers and sentences the chapters state (who wins, paired by seed);
* :mod:`~laicpkg.book.twins` — the twins chapter: Stage 2's ceilings, geometry, calibration;
* :mod:`~laicpkg.book.idcl` — the IDCL chapter: Tables 2 and 4 side by side, histories, final assignment;
* :mod:`~laicpkg.book.nouns` — which nouns a filter kept and how clusters are named;
* :mod:`~laicpkg.book.display`, :mod:`~laicpkg.book.figures`, :mod:`~laicpkg.book.plotting` — names, tables and
  figures as a reader sees them;
* :mod:`~laicpkg.book.checks`, :mod:`~laicpkg.book.batch`, :mod:`~laicpkg.book.contact_sheet` — the notebooks'
  reference checks, the results pages, the contact sheet.

Nothing here runs a method; the small computations the chapters show that do (t-SNE, k-means on an embedding,
a twin's baseline rows) are in :mod:`laicpkg.run.analysis`.
"""
