"""Standard errors of the stage-2 estimate, and which behaviour fields the moments identify.

The estimate solves two sets of equations: each bridged field's moment matched exactly,
``m_B(theta) = m_obs,B``, and the first-order condition of the behaviour search,
``G_b' W (m_obs,b - m_b(theta)) = 0`` (``G_b``: behaviour moments by behaviour fields, ``W`` the
diagonal weights). Linearised, ``A d(theta) = H d(m)`` with ``A = [G_B ; G_b' W G_b,all]`` and
``H = diag(I, G_b' W)``, so the covariance of the estimate is the sandwich
``V = (1 + 1/R) A^-1 H S H' A^-T`` (Hansen 1982 for the moment conditions; ``1 + 1/R`` for the
simulated side, McFadden 1989; Pakes & Pollard 1989), ``S`` the moments' covariance across
replications at the estimate, plus the two-step term of the stage-1 fields held fixed
(:mod:`sim.calibrate.two_step`; Murphy & Topel 1985). Every field's error includes what the
others' uncertainty does to it (a bridged field's statistic moves with the behaviour and with
other fields too).

A behaviour field is not identified when moving it across its whole search range moves its
moments by less than two standard errors, or when its 95% interval spans more than half that
range; it is then held at its value (its column and its condition dropped) and the rest recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_MOVE = 2.0
"""Standard errors the moments must move across a behaviour field's range for it to count."""
MAX_SHARE = 0.5
"""Share of its search range a behaviour field's 95% interval may span."""


@dataclass
class Errors:
    """Standard errors on each field's scale (bridged: its scale; behaviour: share of its range)."""

    se: np.ndarray
    why: dict[int, str]
    """Columns not identified, and why."""


def sandwich(
    G: np.ndarray,
    S: np.ndarray,
    bridge_rows: list[int],
    behaviour_rows: list[int],
    n_bridges: int,
    w: np.ndarray,
    reps: int,
    z: float,
    measured: np.ndarray | None = None,
    stage_one: np.ndarray | None = None,
) -> Errors:
    """Errors of every field (columns: the bridged fields then the behaviour fields).

    ``G`` is moments x fields on the fields' scales, ``S`` the moments' covariance; the bridged
    field ``i`` is matched to moment ``bridge_rows[i]``; ``w`` are the search's weights of the
    behaviour moments. A bridged field whose own moment does not respond (``G`` entry 0) is held
    at its value, not identified. ``measured``: the Jacobian with no entry set to 0 (``G`` sets
    the entries its replications cannot tell from 0 to 0, and decides what moves and what is
    identified); the variance uses it, since dropping a derivative drops the uncertainty it carries
    from one field to another. ``stage_one``: ``G1 V1 G1'``, what the held stage-1 fields'
    uncertainty does to the moments (:mod:`sim.calibrate.two_step`), added to ``S`` unscaled by the
    simulation's ``1 + 1/R`` (Murphy & Topel 1985)."""
    Gv = G if measured is None or measured.shape != G.shape else measured
    k = G.shape[1]
    active = list(range(n_bridges, k))
    why: dict[int, str] = {}
    held = [i for i in range(n_bridges) if not np.isfinite(G[bridge_rows[i], i]) or G[bridge_rows[i], i] == 0]
    for i in held:
        why[i] = "its statistic does not move detectably with it (held at its value)"
    bridges = [i for i in range(n_bridges) if i not in held]
    bridge_rows = [bridge_rows[i] for i in bridges]
    for c in list(active):
        g = G[behaviour_rows, c]
        moved = float(np.sqrt(np.sum(w * g * g))) if behaviour_rows else 0.0
        if not np.isfinite(moved) or moved < MIN_MOVE:
            why[c] = (
                f"the moments move {moved:.2g} standard errors across its whole range (under {MIN_MOVE:g})"
            )
            active.remove(c)
    se = np.full(k, np.nan)
    nb = len(bridges)
    while True:
        cols = bridges + active
        Gb = Gv[np.ix_(behaviour_rows, active)]
        rows = bridge_rows + behaviour_rows
        A = np.vstack([Gv[np.ix_(bridge_rows, cols)], Gb.T @ (w[:, None] * Gv[np.ix_(behaviour_rows, cols)])])
        H = np.zeros((len(cols), len(rows)))
        H[:nb, :nb] = np.eye(nb)
        H[nb:, nb:] = Gb.T * w[None, :]
        inv = np.linalg.pinv(A)
        M = (1 + 1 / reps) * S[np.ix_(rows, rows)]
        if stage_one is not None:
            M = M + stage_one[np.ix_(rows, rows)]
        V = inv @ H @ M @ H.T @ inv.T
        s = np.sqrt(np.maximum(np.diag(V), 0.0))
        width = 2 * z * s[nb:]
        if not active or np.max(width) <= MAX_SHARE:
            se[cols] = s
            return Errors(se, why)
        worst = int(np.argmax(width))
        why[active[worst]] = (
            f"its 95% interval spans {min(width[worst], 99):.2g} of the search range (over {MAX_SHARE:g})"
        )
        active.pop(worst)
