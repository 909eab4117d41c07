"""What the teams beyond sales and CS delivery do to the customer book's monthly flows: one port for
:class:`sim.world.accounts.Accounts`.

The product's quality multiplies ticket rates and its features the expansion opportunity rates
(:class:`sim.world.teams.ProductTeam`); the support desk resolves the month's tickets and brings
reopened ones back (:mod:`sim.world.support`); customer education trains new accounts
(:class:`sim.world.teams.EducationTeam`); budgets and customer-marketing programmes lift reference
and referral rates, references fill the banks new deals draw on, and a champion's warm lead
follows the relationship (:mod:`sim.world.advocacy`). Each method returns its input untouched when
its mechanism is off or neutral, so the flows are then exactly the model without it.
"""

from __future__ import annotations

import numpy as np

from sim.world.advocacy import Advocacy
from sim.world.support import SupportDesk
from sim.world.teams import CustomerMarketingTeam, EducationTeam, ProductTeam


class TeamEffects:
    """The port (see the module docstring)."""

    def __init__(
        self,
        product: ProductTeam,
        support: SupportDesk,
        education: EducationTeam,
        marketing: CustomerMarketingTeam,
        advocacy: Advocacy,
        csm_accounts: object,
    ) -> None:
        self.product = product
        self.support = support
        self.education = education
        self.marketing = marketing
        self.advocacy = advocacy
        self.csm_accounts = csm_accounts
        """Accounts per CSM now (``CsTeam.count``), for the budgets' spend per account."""

    def ticket_rate(self, live: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """Each live customer's expected tickets this month: the product's quality, reopened tickets."""
        rate = self.product.ticket_rate
        if rate != 1.0:
            lam = lam * rate
        if self.support.on:
            lam = lam + self.support.reopened(live)
        return lam

    def health(self, live: np.ndarray, tickets: np.ndarray) -> np.ndarray | None:
        """Health this month's support and training add (None when neither acts)."""
        out = None
        if self.support.on:
            out = self.support.resolve(live, tickets)
        if self.education.people:
            gain = self.education.health(live)
            out = gain if out is None else out + gain
        return out

    def expansion_rate(self) -> float:
        """Multiplier of upsell and cross-sell opportunity rates (the product's features)."""
        return self.product.expansion_rate

    def advocacy_lift(self, rows: np.ndarray, n_csm: int) -> np.ndarray | float:
        """Per live account (``rows``: its CSM row, ``n_csm`` = unassigned), the lift of its reference
        and referral rates bought by budgets and programmes (1.0 when none)."""
        lift: np.ndarray | float = 1.0
        per_csm = self.advocacy.csm_lift(np.asarray(self.csm_accounts.count))  # type: ignore[attr-defined]
        if per_csm is not None:
            lift = np.where(rows < n_csm, np.append(per_csm, 1.0)[np.minimum(rows, n_csm)], 1.0)
        programme = self.marketing.lift() * self.advocacy.programme_lift(
            len(self.marketing.people), len(rows)
        )
        if programme != 1.0:
            lift = lift * programme
        return lift

    def warm_probability(self, relative_advocacy: np.ndarray) -> np.ndarray | float:
        """Warm-lead probability of a moving champion per account."""
        return self.advocacy.warm_probability(relative_advocacy)

    def references(self, segments: np.ndarray) -> None:
        """References given this month (their accounts' segments)."""
        self.advocacy.given(segments)
