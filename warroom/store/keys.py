"""What the store names: the order sums of a rollup cell, the running counters and the prompts' meta keys."""

from __future__ import annotations

# The order sums each rollup cell keeps, in this order (the figures fold them as lists).
ORDER_SUMS = ("revenue_fen", "paid_orders", "refunded_orders", "refunded_fen", "cancelled_orders")
REVENUE_COUNTER = "revenue_fen"
REVENUE_PEAK_COUNTER = "revenue_peak_fen"
# Customers who entered the live room and have a paid order (SPEC §4.1 conversion), kept on either transition.
LIVE_BUYERS_COUNTER = "customers_live_paid"
# Pushes each staff member acknowledged (the hype squad's leaderboard), by staff id.
PUSHES_COUNTER = "pushes:{}"
# Meta keys of the prompts: a seq that moves whenever what the screens show may change, and the last evaluation's time.
PROMPTS_SEQ = "prompts_seq"
PROMPTS_EVALUATED_AT = "prompts_evaluated_at"


