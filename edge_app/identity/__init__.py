"""Player identity (issue #3 and "Who is who for a whole session"), split by job:

- `appearance`: torso colour histograms (written by the pipeline), their distance;
- `stitch`: fragments and today's short-gap linking (at most 15 s apart: precise chains);
- `assign`: the chains clustered into people over the whole session, the coach's edits as
  constraints, a roster's size and kits as the target; the players' roles;
- `swaps`: where a track's legs change, the tracker's swap of two teammates: the report cuts it there;
- `session`: a stored session's people: stitch, assign, refine, stored;
- `refine`: then every track given again, moment by moment, to one of the session's people (the
  roster's size or the most seen at once) by the colours each person wears over the whole session;
- `roster`: the roster file (`analyze --roster`) and the box's own (`roster.toml` in the data folder);
- `questions`: "who is this?", the few links the assignment is least sure of.
"""

from edge_app.identity.appearance import (
    appearance_samples,
    colour_histogram,
    histogram_distance,
    mean_histogram,
    split_sample,
    torso_box,
    torso_colours,
    torso_histogram,
)
from edge_app.identity.assign import assign, roster_roles
from edge_app.identity.roster import (
    Roster,
    RosterPlayer,
    default_roster,
    read_roster,
    roster_from_dict,
    roster_to_dict,
    save_default_roster,
)
from edge_app.identity.session import assign_session, refine_people
from edge_app.identity.stitch import Fragment, fragments, link_costs, stitch, stitch_session
from edge_app.identity.swaps import swap_cuts

__all__ = [
    "Fragment",
    "Roster",
    "RosterPlayer",
    "appearance_samples",
    "torso_colours",
    "assign",
    "assign_session",
    "refine_people",
    "colour_histogram",
    "default_roster",
    "fragments",
    "histogram_distance",
    "link_costs",
    "mean_histogram",
    "split_sample",
    "read_roster",
    "roster_from_dict",
    "roster_roles",
    "roster_to_dict",
    "save_default_roster",
    "stitch",
    "stitch_session",
    "swap_cuts",
    "torso_box",
    "torso_histogram",
]
