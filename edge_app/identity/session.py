"""A stored session's people: stitch (short gaps), assign (the whole session), refine (moment by moment),
stored; the coach's edits win."""

from __future__ import annotations

from edge_app.identity.assign import assign
from edge_app.identity.refine import busiest, refine
from edge_app.identity.roster import Roster
from edge_app.identity.stitch import fragments, stitch


def refine_people(frags, groups, chains, *, metres: bool, owners: dict, cannot_link=(), roster=None) -> list[list[int]]:
    """`refine` after the clustering: every track given again to one of the session's people (the roster's
    size, or the most seen at once), the stitched chains as the links (short gaps)."""
    count = max(len(roster) if roster is not None else 0, busiest(frags))
    return refine(
        frags, groups, chains, count=count, pinned=owners, cannot_link=cannot_link, roster=roster, metres=metres
    )


def assign_session(store, session_id: str, positions, *, roster: Roster | None = None, **params) -> list[list[int]]:
    """Stitch (short gaps), then assign (whole session), the people of a stored session; store the groups
    (the coach's edits win). `params` go to `stitch`. Returns every group (singletons included)."""
    sid = store.resolve_id(session_id)
    frags = fragments(store.track_rows(sid), positions, store.appearance(sid))
    metres = positions.calibration is not None
    cannot = store.cannot_link(sid)
    fps = store.get_session(sid).get("fps")
    chains = stitch(frags, fps=fps, metres=metres, cannot_link=cannot, **params)
    owners = {int(t): int(p) for t, p, _ in store.manual_tracks(sid)}
    groups = assign(frags, chains, metres=metres, owners=owners, cannot_link=cannot, roster=roster)
    groups = refine_people(frags, groups, chains, metres=metres, owners=owners, cannot_link=cannot, roster=roster)
    placed = {t for g in groups for t in g}
    groups += [g for g in chains if not set(g) & placed]  # fragments without times stay as stitched
    store.assign_players(sid, groups, source="stitch")
    return groups
