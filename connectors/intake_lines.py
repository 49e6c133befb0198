"""Whether a line pushed to the HTTP intake will count as a row, read exactly as the spool's feed reader will read it.

The intake answers how many lines it accepted and how many will be quarantined (SPEC §6) before
the ingest reads them; this module reads a line the way connectors.feed does a JSON Lines record
of a canonical feed in UTF-8, so that the answer and the store agree.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.formats import MAX_RECORD_BYTES, decode, json_cells, strip_line_end
from connectors.parse import RowError, checkin_from_row, order_from_row
from connectors.profiles import HeaderError, map_object
from warroom.config import EventConfig
from warroom.text import scrub, scrub_cells

SPOOL_CODEC = "utf-8"


def line_reader(config: EventConfig) -> Callable[[str, bytes], bool]:
    """Return a function (kind, line without its line break) -> whether the spool's reader will count that line as a row."""
    tz, alias_map = config.event.tz, config.alias_map()

    def counts(kind: str, line: bytes) -> bool:
        # The feed reader takes a line of MAX_RECORD_BYTES or more (with its line break, more than the limit) as too long.
        if len(line) >= MAX_RECORD_BYTES:
            return False
        try:
            text, _repaired = scrub(strip_line_end(decode(line, SPOOL_CODEC)))
            row = json_cells(text)
            scrub_cells(row)
            mapped = map_object("canonical", kind, row)
            (order_from_row if kind == "orders" else checkin_from_row)(mapped, tz, alias_map)
        except (HeaderError, RowError):
            return False
        return True

    return counts
