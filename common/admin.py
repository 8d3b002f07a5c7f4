"""Dresses the default admin site as Allot's operations console (see ``common.admin_site``)."""

from django.contrib import admin

from common.admin_site import configure

configure(admin.site)
