"""The roster (issue "Who is who for a whole session"): who trained, for `analyze --roster FILE`.

A TOML file (docs/ROSTER.md):

    [teams]                 # optional: a team's bib colour (a colour name or #rrggbb)
    red = "red"
    bibs = "#f0d020"

    [[players]]             # one table per player; every key optional
    name = "Sam"
    team = "red"            # one of [teams]
    number = 7
    [[players]]
    name = "Kim"
    colour = "green"        # a colour of their own (a keeper's shirt): the person in it is Kim

or, with nothing but names, `players = ["Sam", "Alex", "Kim"]`. The number of players is what the
session-wide assignment aims at; bib colours split teams (teammates share them, so they split
teams, not people); a colour of a player's own names them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tomllib

from edge_app.errors import AxolotlError
from edge_app.home import data_dir

COLOURS = {  # RGB of the bib colours a coach names
    "red": (200, 30, 30),
    "blue": (30, 60, 200),
    "navy": (20, 30, 90),
    "sky": (110, 170, 230),
    "green": (30, 160, 50),
    "yellow": (240, 210, 30),
    "orange": (240, 120, 20),
    "pink": (240, 110, 170),
    "purple": (120, 40, 160),
    "white": (235, 235, 235),
    "black": (25, 25, 25),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
}
MAX_PLAYERS = 60
ROSTER_FILE = "roster.toml"  # the box's own roster, in the data folder: used when a session is given none
_PLAYER_KEYS = {"name", "team", "colour", "color", "number"}
_FIX = "see docs/ROSTER.md"


@dataclass(frozen=True)
class RosterPlayer:
    name: str | None = None
    team: str | None = None
    colour: str | None = None  # their own colour, "#rrggbb"
    number: int | None = None


@dataclass(frozen=True)
class Roster:
    players: tuple[RosterPlayer, ...]
    teams: dict  # team -> "#rrggbb" (its bib colour)

    def __len__(self) -> int:
        return len(self.players)

    def rows(self) -> list[tuple]:
        """(idx, name, team, team_colour, colour, number) per player, for `SessionStore.set_roster`."""
        return [(i, p.name, p.team, self.teams.get(p.team), p.colour, p.number) for i, p in enumerate(self.players)]

    @classmethod
    def from_rows(cls, rows) -> Roster | None:
        """The roster stored with a session (`SessionStore.roster`); None when it has none."""
        if not rows:
            return None
        players, teams = [], {}
        for _, name, team, team_colour, colour, number in sorted(rows):
            players.append(RosterPlayer(name, team, colour, number))
            if team is not None and team_colour is not None:
                teams[team] = team_colour
        return cls(tuple(players), teams)

    def kits(self) -> dict[str, tuple[str, int, str | None]]:
        """The colours to tell people by: kit key -> (colour, how many players wear it, the name it
        gives). A player's own colour is a kit of one that names them; a team's bibs, one per team."""
        out: dict[str, tuple[str, int, str | None]] = {}
        for i, p in enumerate(self.players):
            if p.colour is not None:
                out[f"player:{i}"] = (p.colour, 1, p.name)
            elif p.team is not None and p.team in self.teams:
                colour, n, _ = out.get(f"team:{p.team}", (self.teams[p.team], 0, None))
                out[f"team:{p.team}"] = (colour, n + 1, None)
        return out

    def unkitted(self) -> int:
        """Players with no colour to tell them by."""
        return len(self) - sum(n for _, n, _ in self.kits().values())


def parse_colour(value, where: str) -> str:
    """A colour name or #rrggbb, as "#rrggbb"."""
    text = str(value).strip().lower()
    if text in COLOURS:
        return "#%02x%02x%02x" % COLOURS[text]
    if len(text) == 7 and text[0] == "#":
        try:
            int(text[1:], 16)
            return text
        except ValueError:
            pass
    raise AxolotlError(
        f"roster: {where} has colour {value!r}; give #rrggbb or one of {', '.join(sorted(COLOURS))} ({_FIX})"
    )


def colour_rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))


def read_roster(path) -> Roster:
    """Read and check a roster file; every problem is a one-line AxolotlError that says the fix."""
    path = Path(path)
    if not path.is_file():
        raise AxolotlError(f"roster file not found: {path}; check the path ({_FIX})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise AxolotlError(f"roster {path} is not a text file; write it as UTF-8 TOML ({_FIX})") from None
    except tomllib.TOMLDecodeError as e:
        raise AxolotlError(f"roster {path} is not valid TOML ({e}); fix that line ({_FIX})") from None
    return roster_from_dict(data, f"roster {path}")


def roster_from_dict(data: dict, source: str = "roster") -> Roster:
    unknown = set(data) - {"teams", "players"}
    if unknown:
        raise AxolotlError(f"{source}: unknown key {sorted(unknown)[0]!r}; a roster has [teams] and players ({_FIX})")
    teams_in = data.get("teams", {})
    if not isinstance(teams_in, dict):
        raise AxolotlError(f"{source}: teams must be a table of team = colour ({_FIX})")
    teams = {str(k): parse_colour(v, f"team {k!r}") for k, v in teams_in.items()}
    raw = data.get("players")
    if not isinstance(raw, list) or not raw:
        raise AxolotlError(f"{source} lists no players; add [[players]] tables or players = [names] ({_FIX})")
    if len(raw) > MAX_PLAYERS:
        raise AxolotlError(f"{source} lists {len(raw)} players; a session holds at most {MAX_PLAYERS}")
    players, names = [], set()
    for k, item in enumerate(raw, start=1):
        item = {"name": item} if isinstance(item, str) else item
        if not isinstance(item, dict):
            raise AxolotlError(f"{source}: player {k} is {item!r}; give a name or a table ({_FIX})")
        bad = set(item) - _PLAYER_KEYS
        if bad:
            raise AxolotlError(
                f"{source}: player {k} has unknown key {sorted(bad)[0]!r}; use name, team, colour, number ({_FIX})"
            )
        name = item.get("name")
        name = None if name is None else str(name).strip() or None
        if name is not None:
            if name.lower() in names:
                raise AxolotlError(f"{source}: the name {name!r} is there twice; give each player their own")
            names.add(name.lower())
        team = item.get("team")
        if team is not None and str(team) not in teams:
            raise AxolotlError(
                f"{source}: player {name or k} is in team {team!r}, which [teams] does not give a colour"
            )
        colour = item.get("colour", item.get("color"))
        number = item.get("number")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int) or number < 0):
            raise AxolotlError(f"{source}: player {name or k} has number {number!r}; a shirt number is a whole number")
        players.append(
            RosterPlayer(
                name,
                None if team is None else str(team),
                None if colour is None else parse_colour(colour, f"player {name or k}"),
                number,
            )
        )
    return Roster(tuple(players), teams)


def bib_histogram(hex_colour: str) -> np.ndarray:
    """The histogram a shirt of this colour gives on camera: in light and shade (brightness 0.7-1.0)
    and with a camera's pixel noise (sigma 12, a fixed seed: the same every time), which spreads a
    red over both ends of the hue circle as a real red shirt does."""
    from edge_app.identity.appearance import colour_histogram

    bgr = np.array(colour_rgb(hex_colour), float)[::-1]
    shade = np.linspace(0.7, 1.0, 40)[:, None, None]
    noise = np.random.default_rng(0).normal(0, 12, (40, 40, 3))
    return colour_histogram(np.clip(bgr * shade + noise, 0, 255).astype(np.uint8))


def default_roster_path(home=None) -> Path:
    return Path(home if home is not None else data_dir()) / ROSTER_FILE


def default_roster(home=None) -> Roster | None:
    """The box's own roster (set on the kiosk or by the phone), None when none is set."""
    path = default_roster_path(home)
    return read_roster(path) if path.is_file() else None


def roster_to_dict(roster: Roster) -> dict:
    """The roster as docs/ROSTER.md's data (`roster_from_dict` reads it back)."""
    players = []
    for p in roster.players:
        item = {"name": p.name, "team": p.team, "colour": p.colour, "number": p.number}
        players.append({k: v for k, v in item.items() if v is not None})
    return {"teams": dict(roster.teams), "players": players}


def roster_toml(roster: Roster) -> str:
    """The roster as a docs/ROSTER.md file."""
    q = lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, str) else str(v)  # noqa: E731
    data = roster_to_dict(roster)
    lines = ["# The box's roster (docs/ROSTER.md), written by the kiosk or the phone"]
    if data["teams"]:
        lines += ["[teams]", *(f"{q(k)} = {q(v)}" for k, v in data["teams"].items())]
    for p in data["players"]:
        lines += ["", "[[players]]", *(f"{k} = {q(v)}" for k, v in p.items())]
    return "\n".join(lines) + "\n"


def save_default_roster(data: dict, home=None) -> Roster:
    """Check `data` (docs/ROSTER.md's schema) and write it as the box's roster; returns it."""
    roster = roster_from_dict(data, "roster")
    path = default_roster_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(roster_toml(roster), encoding="utf-8")
    os.replace(tmp, path)
    return roster


def clear_default_roster(home=None) -> None:
    default_roster_path(home).unlink(missing_ok=True)
