"""OpsRhythm core: config, models and the pure logic shared by workflows, activities and the CLI."""
