"""The command line's two reproductions, which run experiments and write the committed results.

``reproduce``  ``python -m mlp_helpers reproduce``: every experiment, every seed; results.csv, results.md
               and the figures
``study``      ``python -m mlp_helpers reproduce-conventions``: the pre-registered conventions study
``markdown``   the text of ``results.md``
``files``      writing ``results.csv`` and ``results.md`` atomically, the study's part kept; the data note

The top of the package: only ``__main__`` imports it. Notebooks read what it wrote (``results/``) through
``experiments``.
"""
