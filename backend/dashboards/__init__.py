"""Figures for the consoles' dashboards (the dispatcher's KPIs), computed server-side."""
