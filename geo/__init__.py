"""Pure geometry for Gridwork: datums, distances, GeoJSON shapes, travel times.

No Flask, no database. Points are (lon, lat) degrees, WGS-84 unless a function
says otherwise. Modules: ``coords`` (WGS-84 / GCJ-02 / BD-09), ``distance``,
``shapes`` (GeoJSON parsing and validation), ``travel``.
"""
