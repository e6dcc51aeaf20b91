"""Where finished runs are kept: the layer below the experiments that run them.

``run_cache``  the on-disk cache of your finished runs under ``runs/``, and when an entry may be reused
``published``  the project's own full-scale runs, shipped in ``results/`` (``published.setting`` is a
               notebook's RETRAIN switch)
``atomic``     ``write_atomically``: a file replaced whole or not at all
"""
