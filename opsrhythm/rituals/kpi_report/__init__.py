"""The monthly KPI report: sources, KPI maths, charts, rendering and its CLI commands."""
