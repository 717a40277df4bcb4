"""The rituals, one package each; ``opsrhythm.registry`` lists them."""
