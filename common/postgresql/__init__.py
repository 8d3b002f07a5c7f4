"""Allot's database backend: django-prometheus's PostgreSQL backend with a self-healing pool."""
