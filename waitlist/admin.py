"""Admin for the waitlist: a read-only queue view; entries change through their services."""

from django.contrib import admin

from common.admin_tools import ReadOnlyAdminMixin
from waitlist.models import WaitlistEntry


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[WaitlistEntry]):
    """Who waits for what, in queue order (oldest first), and which hold an offer became."""

    list_display = ["created_at", "status", "resource", "customer", "start", "end", "quantity", "offer_booking"]
    list_filter = ["status", "created_at"]
    search_fields = ["=id", "customer__email", "resource__name", "resource__vendor__name"]
    list_select_related = ["customer", "resource", "offer_booking"]
    raw_id_fields = ["resource", "customer", "offer_booking"]
    date_hierarchy = "start"
    show_full_result_count = False
    ordering = ["created_at"]
