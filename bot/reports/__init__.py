"""Officer reports: KPI text and charts, CSV/XLSX exports, marketplace upload sheets.

Everything here is pure: it takes figures or rows already loaded and a
translator, and returns text or bytes. Queries live in storage/kpis.py;
the handlers in bot/handlers/stats.py join the two.
"""
