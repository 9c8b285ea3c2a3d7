"""The shipped synthetic sample world (no real person's data).

- ``sampleworld.generate.generate_world(n_people=120, seed=7, hostile=False) -> World``
- ``sampleworld.truth``: ``truth_identities(world, night=2)``, ``truth_leads(world)``, ``truth_flags(world)``
- ``sampleworld.files.write_world(dir, world, base_url)``: world.json, truth_*.csv,
  internal_people.csv (skills joined by ';'), talent-signals.toml
- ``sampleworld.server.serve(world, port=0, night=1)``: local server speaking the real
  wire formats, with ``.base_url``, ``.counts``, ``.reset_counts()``, ``.set_night(n)``,
  ``.inject(path_prefix, kind, times=1, **params)``
- ``python -m sampleworld write DIR`` / ``python -m sampleworld serve``

The default world's files are shipped in ``sampleworld/data/`` (regenerated
byte-identically by ``python -m sampleworld write sampleworld/data``).
"""
