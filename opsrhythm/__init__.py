"""OpsRhythm core: config, models and the pure logic shared by workflows, activities and the CLI."""

__version__ = "0.1.0"
