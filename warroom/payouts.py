"""What each staff member is owed at a snapshot: their account, the payout sheet, and its totals for the commission page.

The rules (bands, rates, the team pool, when commission is final) are `warroom.commission`'s; this module
reads them off a `warroom.figures.Snapshot`, which keeps revenue per staff member and band.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from warroom.commission import CommissionStatus, band_commission_fen, band_labels
from warroom.config import EventConfig
from warroom.figures import Snapshot
from warroom.leaderboards import MONEY_METRICS, ROLE_METRICS
from warroom.money import to_yuan


@dataclass(frozen=True)
class Account:
    """What one staff member has earned, been paid, and is owed (negative: a clawback)."""

    staff_id: str
    commission_fen: Decimal
    pool_share_fen: Decimal
    paid_fen: int
    status: CommissionStatus

    @property
    def earned_fen(self) -> Decimal:
        """Return commission plus pool share."""
        return self.commission_fen + self.pool_share_fen

    @property
    def balance_fen(self) -> Decimal:
        """Return earned minus paid: still owed when positive, a clawback when negative."""
        return self.earned_fen - self.paid_fen

    @property
    def clawback_fen(self) -> Decimal:
        """Return how much was paid beyond what is now earned (0 when nothing is owed back)."""
        return max(-self.balance_fen, Decimal(0))


def account(snapshot: Snapshot, staff_id: str) -> Account:
    """Return one member's account at a snapshot."""
    return Account(
        staff_id=staff_id,
        commission_fen=snapshot.commission_fen.get(staff_id, Decimal(0)),
        pool_share_fen=snapshot.team_pool.shares_fen.get(staff_id, Decimal(0)),
        paid_fen=snapshot.paid_out_fen.get(staff_id, 0),
        status=snapshot.commission_status,
    )


def accounts(snapshot: Snapshot) -> dict[str, Account]:
    """Return every staff member's account (and anyone paid who is no longer in the event file)."""
    ids = list(snapshot.commission_fen) + [sid for sid in snapshot.paid_out_fen if sid not in snapshot.commission_fen]
    return {sid: account(snapshot, sid) for sid in ids}


def earned_by_staff(snapshot: Snapshot) -> dict[str, Decimal]:
    """Return each member's commission plus team-pool share: the figure their own page shows as 我的提成, which every board repeats."""
    ids = dict.fromkeys([*snapshot.commission_fen, *snapshot.team_pool.shares_fen])
    return {staff_id: account(snapshot, staff_id).earned_fen for staff_id in ids}


def earns_per_order(snapshot: Snapshot, config: EventConfig, staff_id: str) -> bool:
    """Return whether a member earns commission on each order: their role is ranked by what it sells (接单员, 社群, 主播), or orders were credited to them.

    Poster, copy, video, props and stats roles earn from the team pool only: "what one more order
    would earn me" means nothing to them.
    """
    member = config.staff_by_id().get(staff_id)
    if member is None:
        return False
    sells = member.role in ROLE_METRICS and ROLE_METRICS[member.role][0] in MONEY_METRICS
    return sells or any(snapshot.staff_band_revenue_fen.get(staff_id, ())) or snapshot.commission_fen.get(staff_id, Decimal(0)) > 0


@dataclass(frozen=True)
class RoleEarnings:
    """What the members of one role earned together: commission on their orders and their team-pool shares."""

    role: str
    people: int  # members of the role who earned anything
    commission_fen: Decimal
    pool_share_fen: Decimal

    @property
    def total_fen(self) -> Decimal:
        """Return commission plus pool shares."""
        return self.commission_fen + self.pool_share_fen


def earnings_by_role(snapshot: Snapshot, config: EventConfig) -> list[RoleEarnings]:
    """Return every role that earned (commission or a pool share), most earned first: the review's by-role donut, which a pool share puts every role on."""
    members: dict[str, list[str]] = {}
    for member in config.staff:
        members.setdefault(member.role, []).append(member.id)
    rows = []
    for role, ids in members.items():
        accounts_of = [account(snapshot, staff_id) for staff_id in ids]
        row = RoleEarnings(role=role, people=sum(1 for item in accounts_of if item.earned_fen > 0),
                           commission_fen=sum((item.commission_fen for item in accounts_of), Decimal(0)),
                           pool_share_fen=sum((item.pool_share_fen for item in accounts_of), Decimal(0)))
        if row.total_fen > 0:
            rows.append(row)
    return sorted(rows, key=lambda row: (-row.total_fen, row.role))


@dataclass(frozen=True)
class PayoutRow:
    """One line of the payout sheet: a member's revenue and commission by band, pool share, payouts and balance."""

    staff_id: str
    name: str
    role: str
    team: str | None
    band_revenue_fen: tuple[int, ...]
    band_commission_fen: tuple[Decimal, ...]
    commission_fen: Decimal
    pool_share_fen: Decimal
    paid_fen: int
    status: CommissionStatus
    revenue_fen: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "revenue_fen", sum(self.band_revenue_fen))

    @property
    def total_fen(self) -> Decimal:
        """Return commission plus pool share."""
        return self.commission_fen + self.pool_share_fen

    @property
    def balance_fen(self) -> Decimal:
        """Return total minus paid: negative is a clawback."""
        return self.total_fen - self.paid_fen


def payout_sheet(snapshot: Snapshot, config: EventConfig) -> list[PayoutRow]:
    """Return the payout sheet: one row per staff member, in event-file order."""
    bands = len(config.commission.bands)
    rows = []
    for member in config.staff:
        revenue = tuple(snapshot.staff_band_revenue_fen.get(member.id, (0,) * bands))
        member_account = account(snapshot, member.id)
        rows.append(PayoutRow(
            staff_id=member.id, name=member.name, role=member.role, team=member.team,
            band_revenue_fen=revenue, band_commission_fen=band_commission_fen(config, revenue),
            commission_fen=member_account.commission_fen, pool_share_fen=member_account.pool_share_fen,
            paid_fen=member_account.paid_fen, status=member_account.status,
        ))
    return rows


def payout_records(snapshot: Snapshot, config: EventConfig) -> list[dict]:
    """Return the payout sheet as flat records in yuan (2 decimals), ready for a table or a CSV."""
    labels = band_labels(config)
    records = []
    for row in payout_sheet(snapshot, config):
        record: dict = {"staff_id": row.staff_id, "name": row.name, "role": row.role, "team": row.team or ""}
        for label, revenue, earned in zip(labels, row.band_revenue_fen, row.band_commission_fen, strict=True):
            record[f"revenue {label}"] = to_yuan(revenue)
            record[f"commission {label}"] = to_yuan(earned)
        record |= {
            "revenue": to_yuan(row.revenue_fen), "commission": to_yuan(row.commission_fen), "pool_share": to_yuan(row.pool_share_fen),
            "total": to_yuan(row.total_fen), "paid": to_yuan(row.paid_fen), "balance": to_yuan(row.balance_fen), "status": row.status,
        }
        records.append(record)
    return records


@dataclass(frozen=True)
class PayoutTotals:
    """The payout sheet summed: what was earned, paid, is still owed, and must be clawed back."""

    commission_fen: Decimal
    pool_shares_fen: Decimal
    paid_fen: int
    owed_fen: Decimal  # positive balances
    clawback_fen: Decimal  # negative balances, as a positive amount
    earners: int  # people with commission of their own
    overpaid: int  # people paid more than they now earn


def payout_totals(rows: Iterable) -> PayoutTotals:
    """Return the totals of the payout sheet's rows."""
    rows = list(rows)
    return PayoutTotals(
        commission_fen=sum((row.commission_fen for row in rows), Decimal(0)),
        pool_shares_fen=sum((row.pool_share_fen for row in rows), Decimal(0)),
        paid_fen=sum(row.paid_fen for row in rows),
        owed_fen=sum((max(row.balance_fen, Decimal(0)) for row in rows), Decimal(0)),
        clawback_fen=sum((max(-row.balance_fen, Decimal(0)) for row in rows), Decimal(0)),
        earners=sum(1 for row in rows if row.commission_fen > 0),
        overpaid=sum(1 for row in rows if row.balance_fen < 0),
    )
