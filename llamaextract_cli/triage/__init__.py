"""Triage: streaming aggregations over jobs (`stats`, `errors`) and their terminal views.

Pure functions and small accumulators fed one job at a time; no HTTP, no typer.
`render` imports rich inside its functions.
"""
