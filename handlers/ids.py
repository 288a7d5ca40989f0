"""Action and callback ids: the one list, used by the listeners and by the views that
show their buttons, selects and forms."""

from __future__ import annotations

import re

ADD_AND_LINK = "add_and_link"
ADDRESS_FORM = "address_form"
ADDRESS_MOVE_FORM = "address_move_form"
ADDRESS_SEARCH = "address_search"
AUDIT_NEWER = "audit_newer"
AUDIT_OLDER = "audit_older"
BULK_ADD_FORM = "bulk_add_form"
BUY_COUNTRY = "buy_country"
BUY_FORM = "buy_form"
BUY_KIND = "buy_kind"
CAMPAIGN_FORM = "campaign_form"
CAMPAIGN_GROUP_SEARCH = "campaign_group_search"
CAMPAIGN_MEMBER_SEARCH = "campaign_member_search"
CAMPAIGN_PAGE_NEXT = "campaign_page_next"
CAMPAIGN_PAGE_PREV = "campaign_page_prev"
CONFIRM_AREA = "confirm_area"
DELETE_ADDRESS = "delete_address"
DELETE_AGENT = "delete_agent"
DELETE_CAMPAIGN = "delete_campaign"
DELETE_GROUP = "delete_group"
GROUP_FORM = "group_form"
GROUP_MEMBER_SEARCH = "group_member_search"
IMPORT_FORM = "import_form"
LINK_FORM = "link_form"
LIST_PAGE_NEXT = "list_page_next"
LIST_PAGE_PREV = "list_page_prev"
MANDATE_FORM = "mandate_form"
NOTICE = "notice"
NUMBERS_SEARCH = "numbers_search"
OPEN_ADDRESS_EDIT = "open_address_edit"
OPEN_ADDRESS_MOVE = "open_address_move"
OPEN_ADDRESS_NEW = "open_address_new"
OPEN_BULK_ADD = "open_bulk_add"
OPEN_BUY = "open_buy"
OPEN_CAMPAIGN_EDIT = "open_campaign_edit"
OPEN_CAMPAIGN_NEW = "open_campaign_new"
OPEN_GROUP_NEW = "open_group_new"
OPEN_IMPORT = "open_import"
OPEN_LINK = "open_link"
OPEN_MANDATE = "open_mandate"
REMOVE_NUMBER = "remove_number"
REQUEST_ADDRESS = "request_address"
REQUEST_APPROVE = "request_approve"
REQUEST_FULFIL = "request_fulfil"
REQUEST_FULFIL_FORM = "request_fulfil_form"
REQUEST_REJECT = "request_reject"
REQUEST_REJECT_FORM = "request_reject_form"
RESULT = "result"

# "Edit <address>" buttons: ids are unique within a block, so the n-th of a block is
# open_address_edit_<n>; one listener takes them all.
OPEN_ADDRESS_EDIT_PATTERN = r"^open_address_edit(_\d+)?$"
OPEN_ADDRESS_EDIT_ANY = re.compile(OPEN_ADDRESS_EDIT_PATTERN)


def delete(kind: str) -> str:
    """The action id of the "Delete" button of a ``kind`` (address, group, campaign, agent)."""
    return f"delete_{kind}"
