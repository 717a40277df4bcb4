"""OpsRhythm: the shared platform (``opsrhythm.platform``), one package per ritual kind
(``opsrhythm.rituals``), and the app modules that join them (registry, config, web)."""

__version__ = "0.1.0"
