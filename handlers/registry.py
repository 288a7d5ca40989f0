"""What one Bolt app holds besides Bolt's own listeners, filled by the surfaces'
``register`` functions: its `/numbers` subcommands and its App Home sections.

One per app (``handlers.register`` makes it), never module state: two apps built in one
process share nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.router import Commands


@dataclass
class Registry:
    commands: Commands = field(default_factory=Commands)
    # callables (session) -> blocks, shown on App Home below the summary (requests, …)
    home_sections: list[Callable] = field(default_factory=list)
