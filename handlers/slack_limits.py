"""Slack's payload limits: the one place in the app that knows them.

View builders import the ``MAX_*`` constants and ``truncate`` to stay inside the
limits. The checker that finds every violated limit in a payload is a test helper
(tests/slack_payloads.py): the fake Slack runs it on every view and message.

Source: /work/shared/design/SLACK.md ("Hard limits").
"""

from __future__ import annotations

# --- views -------------------------------------------------------------------
MAX_TITLE = 24  # modal title / submit / close (plain_text)
MAX_VIEW_BLOCKS = 100  # modal or Home tab
MAX_VIEW_BYTES = 250_000  # serialized view JSON ("view_too_large")
MAX_PRIVATE_METADATA = 3000
MAX_ID = 255  # callback_id, external_id, block_id, action_id
MAX_CALLBACK_ID = MAX_ID
MAX_EXTERNAL_ID = MAX_ID
MAX_BLOCK_ID = MAX_ID
MAX_ACTION_ID = MAX_ID

# --- messages ----------------------------------------------------------------
MAX_MESSAGE_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000  # Slack truncates beyond this
# Not documented: "msg_blocks_too_long" has been seen at about 13k characters of
# text summed over a message's blocks.
MAX_MESSAGE_BLOCKS_TEXT = 13_000

# --- blocks ------------------------------------------------------------------
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_LABEL = 2000  # input label
MAX_HINT = 2000  # input hint
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10

# --- elements ----------------------------------------------------------------
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100  # static_select / multi_static_select
MAX_OPTION_GROUPS = 100  # each with at most MAX_OPTIONS options
MAX_OPTION_GROUP_LABEL = 75
MAX_CHECKBOX_OPTIONS = 10
MAX_RADIO_OPTIONS = 10
MAX_OVERFLOW_OPTIONS = 5
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTION_DESCRIPTION = 75
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_EXTERNAL_SELECT_OPTIONS = 100  # per options-load response
MAX_INPUT_LENGTH = 3000  # plain_text_input max_length
MAX_INPUT_ERROR = 2000  # one input block's error (response_action "errors")
MAX_NAME = MAX_OPTION_TEXT  # a name typed into the app: it must fit an option's text

# --- confirm dialog ----------------------------------------------------------
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30  # confirm / deny

ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with "…" when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS
