"""Players (issue #3): which tracks are one player, and the coach's edits (names, merges, splits).

A player is a row of `players` (key "player-<id>") holding one or more tracks through
`track_players`; each mapping row says who made it: the stitching pass ('stitch') or the coach
('manual'). A track without a row is a player of its own ("track-<id>"). Re-stitching replaces
only 'stitch' rows; naming a player pins its current tracks ('manual'), and so does the coach's role
for it ('other': not a player); merges are manual; a split gives the later part a new track id and
forbids re-linking the two parts.
"""

from __future__ import annotations

import numpy as np

from edge_app.errors import AxolotlError
from edge_app.store.connection import StoreConnection
from edge_app.timeutil import utc_now_iso


def _track_key(value) -> int:
    """A track id from an int or "track-<id>"."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    text = str(value).strip().lower()
    if text.startswith("track-"):
        text = text[6:]
    try:
        return int(text)
    except ValueError:
        raise AxolotlError(f"'{value}' is not a track id (give a number or track-<id>)") from None


def _player_key(value) -> int | None:
    """The player id of "player-<id>", None for anything else (a track)."""
    if isinstance(value, str) and value.strip().lower().startswith("player-"):
        try:
            return int(value.strip()[7:])
        except ValueError:
            raise AxolotlError(f"'{value}' is not a player key (player-<id>)") from None
    return None


class PlayersMixin(StoreConnection):
    """Players, their tracks and the coach's edits (part of `SessionStore`)."""

    def _person_tracks(self, sid: str) -> dict[int, tuple[int, int]]:
        rows = self._conn.execute(
            "SELECT track_id, first_frame, last_frame FROM tracks WHERE session_id = ? AND (class_id IS NULL OR class_id = 0)",
            (sid,),
        ).fetchall()
        return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def _need_tracks(self, sid: str, track_ids) -> list[int]:
        known = self._person_tracks(sid)
        out = []
        for t in track_ids:
            tid = _track_key(t)
            if tid not in known:
                raise AxolotlError(
                    f"session {sid[:8]} has no player track {t}; see `axolotl-edge sessions show {sid[:8]}`"
                )
            out.append(tid)
        return out

    def _new_player(self, sid: str, source: str, name: str | None = None) -> int:
        pid = self._conn.execute(
            "SELECT coalesce(max(player_id), 0) + 1 FROM players WHERE session_id = ?", (sid,)
        ).fetchone()[0]
        self._conn.execute(
            "INSERT INTO players (session_id, player_id, name, source, created_at) VALUES (?, ?, ?, ?, ?)",
            (sid, pid, name, source, utc_now_iso()),
        )
        return int(pid)

    def _map_tracks(self, sid: str, pid: int, track_ids, source: str) -> None:
        self._conn.executemany(
            "INSERT INTO track_players (session_id, track_id, player_id, source) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (session_id, track_id) DO UPDATE SET player_id = excluded.player_id, source = excluded.source",
            [(sid, int(t), pid, source) for t in track_ids],
        )

    def _drop_empty_players(self, sid: str) -> None:
        self._conn.execute(
            """DELETE FROM players WHERE session_id = ? AND NOT EXISTS (
                   SELECT 1 FROM track_players tp WHERE tp.session_id = players.session_id AND tp.player_id = players.player_id)""",
            (sid,),
        )

    def _check_apart(self, sid: str, track_ids: list[int]) -> None:
        """Two tracks seen in the same frame are two people: refuse to make them one."""
        if len(track_ids) < 2:
            return
        marks = ",".join("?" * len(track_ids))
        row = self._conn.execute(
            f"""SELECT frame, group_concat(DISTINCT track_id) FROM detections
                WHERE session_id = ? AND track_id IN ({marks}) GROUP BY frame HAVING count(DISTINCT track_id) > 1
                ORDER BY frame LIMIT 1""",
            (sid, *track_ids),
        ).fetchone()
        if row is not None:
            raise AxolotlError(
                f"tracks {row[1]} are both seen in frame {row[0]}, so they are different people; "
                f"split one of them first (split_track) or merge other tracks"
            )

    def assign_players(self, session_id: str, groups, source: str = "stitch") -> None:
        """Store groups of track ids that are one player each.

        source 'stitch' replaces the previous stitching (its rows and the players left empty)
        and keeps every manual edit: in a group, the tracks the coach already placed stay where
        they are; the others join the coach's player if the group touches exactly one, else
        form a stitched player of their own (when two or more are left). source 'manual'
        merges each group (as `merge_tracks`).
        """
        if source not in ("stitch", "manual"):
            raise ValueError(f"source must be 'stitch' or 'manual', not {source!r}")
        groups = [[_track_key(t) for t in g] for g in groups]
        if source == "manual":
            for g in groups:
                if len(g) > 1:
                    self.merge_tracks(session_id, g)
            return
        sid = self.resolve_id(session_id)
        self.flush()
        with self._lock, self._guard("storing players"), self._transaction():
            conn = self._conn
            conn.execute("DELETE FROM track_players WHERE session_id = ? AND source = 'stitch'", (sid,))
            self._drop_empty_players(sid)
            manual = dict(
                conn.execute("SELECT track_id, player_id FROM track_players WHERE session_id = ?", (sid,)).fetchall()
            )
            known = self._person_tracks(sid)
            for g in groups:
                g = [t for t in dict.fromkeys(g) if t in known]
                free = [t for t in g if t not in manual]
                owners = {manual[t] for t in g if t in manual}
                if not free:
                    continue
                if len(owners) == 1:
                    self._map_tracks(sid, owners.pop(), free, "stitch")
                elif len(free) >= 2:
                    self._map_tracks(sid, self._new_player(sid, "stitch"), free, "stitch")

    def _pin_player(self, sid: str, track_id_or_player) -> int:
        """The player id of a key "player-<id>" or of a track's player (a player of its own made for a
        track in none), its tracks pinned as they are now (manual): a later stitching keeps them."""
        conn = self._conn
        pid = _player_key(track_id_or_player)
        if pid is not None:
            if (
                conn.execute("SELECT 1 FROM players WHERE session_id = ? AND player_id = ?", (sid, pid)).fetchone()
                is None
            ):
                raise AxolotlError(f"session {sid[:8]} has no player-{pid}")
        else:
            (tid,) = self._need_tracks(sid, [track_id_or_player])
            row = conn.execute(
                "SELECT player_id FROM track_players WHERE session_id = ? AND track_id = ?", (sid, tid)
            ).fetchone()
            if row is None:
                pid = self._new_player(sid, "manual")
                self._map_tracks(sid, pid, [tid], "manual")
            else:
                pid = int(row[0])
        conn.execute("UPDATE players SET source = 'manual' WHERE session_id = ? AND player_id = ?", (sid, pid))
        conn.execute("UPDATE track_players SET source = 'manual' WHERE session_id = ? AND player_id = ?", (sid, pid))
        return pid

    def name_player(self, session_id: str, track_id_or_player, name: str | None) -> str:
        """Name a player, given one of its tracks (int or "track-<id>") or its key "player-<id>".

        Naming pins the player's tracks as they are now (they become manual), so a later
        stitching pass cannot take them away. Returns the player's key.
        """
        sid = self.resolve_id(session_id)
        self.flush()
        name = None if name is None else str(name).strip() or None
        with self._lock, self._guard("naming a player"), self._transaction():
            pid = self._pin_player(sid, track_id_or_player)
            self._conn.execute("UPDATE players SET name = ? WHERE session_id = ? AND player_id = ?", (name, sid, pid))
        return f"player-{pid}"

    def set_player_role(self, session_id: str, track_id_or_player, role: str | None) -> str:
        """The coach's word on who a player is: 'other' (not a player: one row, out of team totals),
        'player' (one of the squad, whatever the roster's count) or None (the assignment decides).
        Pins the player's tracks, as a name does. Returns the player's key."""
        if role not in ("player", "other", None):
            raise AxolotlError(f"a player's role is 'player' or 'other', not {role!r}")
        sid = self.resolve_id(session_id)
        self.flush()
        with self._lock, self._guard("setting a player's role"), self._transaction():
            pid = self._pin_player(sid, track_id_or_player)
            self._conn.execute("UPDATE players SET role = ? WHERE session_id = ? AND player_id = ?", (role, sid, pid))
        return f"player-{pid}"

    def merge_tracks(self, session_id: str, track_ids) -> str:
        """Make one player of these tracks (and of the players they belong to): a manual edit.

        Refuses tracks seen in the same frame. Keeps the lowest player id and the first name and role
        found. Returns the player's key.
        """
        sid = self.resolve_id(session_id)
        self.flush()
        with self._lock, self._guard("merging tracks"), self._transaction():
            conn = self._conn
            tids = list(dict.fromkeys(self._need_tracks(sid, track_ids)))
            if len(tids) < 2:
                raise AxolotlError("merge needs two or more different tracks")
            marks = ",".join("?" * len(tids))
            pids = sorted(
                {
                    r[0]
                    for r in conn.execute(
                        f"SELECT player_id FROM track_players WHERE session_id = ? AND track_id IN ({marks})",
                        (sid, *tids),
                    )
                }
            )
            members = set(tids)
            name = role = None
            if pids:
                pm = ",".join("?" * len(pids))
                members |= {
                    r[0]
                    for r in conn.execute(
                        f"SELECT track_id FROM track_players WHERE session_id = ? AND player_id IN ({pm})", (sid, *pids)
                    )
                }
                names = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT name FROM players WHERE session_id = ? AND player_id IN ({pm}) AND name IS NOT NULL "
                        f"ORDER BY player_id",
                        (sid, *pids),
                    )
                ]
                name = names[0] if names else None
                roles = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT role FROM players WHERE session_id = ? AND player_id IN ({pm}) AND role IS NOT NULL "
                        f"ORDER BY player_id",
                        (sid, *pids),
                    )
                ]
                role = roles[0] if roles else None
            self._check_apart(sid, sorted(members))
            pid = pids[0] if pids else self._new_player(sid, "manual")
            self._map_tracks(sid, pid, sorted(members), "manual")
            conn.execute(  # the coach's word on the merged players goes with them, as the name does
                "UPDATE players SET source = 'manual', name = ?, role = ? WHERE session_id = ? AND player_id = ?",
                (name, role, sid, pid),
            )
            self._drop_empty_players(sid)
        return f"player-{pid}"

    def move_track(self, session_id: str, track_id, to_player: str | None) -> str:
        """Take one track from its player to another ("player-<id>", "track-<id>"), or, with None, to a
        player of its own: the coach's answer to "who is this?". Both players are pinned (manual), so
        a later stitching pass keeps them apart. Returns the track's new player key."""
        sid = self.resolve_id(session_id)
        self.flush()
        with self._lock, self._guard("moving a track"), self._transaction():
            conn = self._conn
            (tid,) = self._need_tracks(sid, [track_id])
            row = conn.execute(
                "SELECT player_id FROM track_players WHERE session_id = ? AND track_id = ?", (sid, tid)
            ).fetchone()
            old = None if row is None else int(row[0])
            target = None if to_player is None else _player_key(to_player)
            if to_player is not None and target is None:  # "track-<id>": a track of no player yet
                (other,) = self._need_tracks(sid, [to_player])
                hit = conn.execute(
                    "SELECT player_id FROM track_players WHERE session_id = ? AND track_id = ?", (sid, other)
                ).fetchone()
                if hit is None:
                    target = self._new_player(sid, "manual")
                    self._map_tracks(sid, target, [other], "manual")
                else:
                    target = int(hit[0])
            if target is not None:
                members = [
                    r[0]
                    for r in conn.execute(
                        "SELECT track_id FROM track_players WHERE session_id = ? AND player_id = ?", (sid, target)
                    )
                ]
                if not members:
                    raise AxolotlError(f"session {sid[:8]} has no {to_player}")
                self._check_apart(sid, sorted({*members, tid}))
            else:
                target = self._new_player(sid, "manual")
            self._map_tracks(sid, target, [tid], "manual")
            for pid in {old, target} - {None}:
                conn.execute("UPDATE players SET source = 'manual' WHERE session_id = ? AND player_id = ?", (sid, pid))
                conn.execute(
                    "UPDATE track_players SET source = 'manual' WHERE session_id = ? AND player_id = ?", (sid, pid)
                )
            self._drop_empty_players(sid)
        return f"player-{target}"

    def split_track(self, session_id: str, track_id: int, at_frame: int, *, record: bool = True) -> int:
        """Cut a track at a frame (an id switch): the part from `at_frame` on gets a new track id.

        Its detections, pose samples, appearance samples and photo are re-labelled, the `tracks`
        summaries of both parts recomputed, the split recorded in `track_splits` (the stitching
        pass will not re-link the two parts; `record=False`: not, for a cut the box made itself,
        which the identity may still undo). The new part belongs to no player. Returns its id.
        Only for sessions that have ended (the tracker might still hand out that id).
        """
        sid = self.resolve_id(session_id)
        self.flush()
        at_frame = int(at_frame)
        with self._lock, self._guard("splitting a track"), self._transaction():
            conn = self._conn
            status = conn.execute("SELECT status FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
            if status == "running":
                raise AxolotlError(f"session {sid[:8]} is still running; split its tracks once it has ended")
            (tid,) = self._need_tracks(sid, [track_id])
            first, last = self._person_tracks(sid)[tid]
            if not first < at_frame <= last:
                raise AxolotlError(
                    f"track {tid} runs from frame {first} to {last}; split it at a frame after {first} "
                    f"and up to {last}, not {at_frame}"
                )
            new = 1 + max(
                conn.execute(f"SELECT coalesce(max(track_id), 0) FROM {table} WHERE session_id = ?", (sid,)).fetchone()[
                    0
                ]
                for table in ("tracks", "detections", "pose_samples", "appearance", "track_splits")
            )
            new = max(
                new,
                1
                + (
                    conn.execute(
                        "SELECT coalesce(max(new_track_id), 0) FROM track_splits WHERE session_id = ?", (sid,)
                    ).fetchone()[0]
                ),
            )
            for table in ("detections", "pose_samples", "appearance", "track_photos"):  # the photo goes with its frame
                conn.execute(
                    f"UPDATE {table} SET track_id = ? WHERE session_id = ? AND track_id = ? AND frame >= ?",
                    (new, sid, tid, at_frame),
                )
            class_id = conn.execute(
                "SELECT class_id FROM tracks WHERE session_id = ? AND track_id = ?", (sid, tid)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO tracks (session_id, track_id, class_id, first_frame, last_frame, first_t, last_t) "
                "VALUES (?, ?, ?, 0, 0, 0, 0)",
                (sid, new, class_id),
            )
            for t in (tid, new):
                conn.execute(
                    """UPDATE tracks SET
                           first_frame = (SELECT min(frame) FROM detections WHERE session_id = :s AND track_id = :t),
                           last_frame = (SELECT max(frame) FROM detections WHERE session_id = :s AND track_id = :t),
                           first_t = (SELECT t FROM detections WHERE session_id = :s AND track_id = :t ORDER BY frame LIMIT 1),
                           last_t = (SELECT t FROM detections WHERE session_id = :s AND track_id = :t ORDER BY frame DESC LIMIT 1),
                           frames = (SELECT count(*) FROM detections WHERE session_id = :s AND track_id = :t),
                           sum_box_height = (SELECT coalesce(sum(y2 - y1), 0) FROM detections WHERE session_id = :s AND track_id = :t),
                           pose_samples = (SELECT count(*) FROM pose_samples WHERE session_id = :s AND track_id = :t)
                       WHERE session_id = :s AND track_id = :t""",
                    {"s": sid, "t": t},
                )
            if record:
                conn.execute(
                    "INSERT INTO track_splits (session_id, track_id, at_frame, new_track_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (sid, tid, at_frame, new, utc_now_iso()),
                )
        return new

    def cannot_link(self, session_id: str) -> list[tuple[int, int]]:
        """Pairs of track ids the coach split apart: never one player again by stitching."""
        sid = self.resolve_id(session_id)
        with self._lock, self._guard("reading splits"):
            return [
                (int(a), int(b))
                for a, b in self._conn.execute(
                    "SELECT track_id, new_track_id FROM track_splits WHERE session_id = ? ORDER BY id", (sid,)
                )
            ]

    def manual_tracks(self, session_id: str) -> list[tuple[int, int, str | None]]:
        """(track_id, player_id, name) of every track the coach placed (merges, names): must-links."""
        sid = self.resolve_id(session_id)
        self.flush()
        with self._reader("reading the coach's players") as conn:
            return conn.execute(
                "SELECT tp.track_id, tp.player_id, p.name FROM track_players tp JOIN players p "
                "ON p.session_id = tp.session_id AND p.player_id = tp.player_id "
                "WHERE tp.session_id = ? AND tp.source = 'manual' ORDER BY tp.track_id",
                (sid,),
            ).fetchall()

    def set_roster(self, session_id: str, rows) -> None:
        """Store a session's roster (replacing any): rows of (idx, name, team, team_colour, colour, number)."""
        sid = self.resolve_id(session_id)
        with self._lock, self._guard("storing the roster"), self._transaction():
            self._conn.execute("DELETE FROM roster WHERE session_id = ?", (sid,))
            self._conn.executemany(
                "INSERT INTO roster (session_id, idx, name, team, team_colour, colour, number) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(sid, *r) for r in rows],
            )

    def roster(self, session_id: str) -> list[tuple]:
        """The session's roster rows (idx, name, team, team_colour, colour, number), in order; [] if none."""
        sid = self.resolve_id(session_id)
        with self._reader("reading the roster") as conn:
            return conn.execute(
                "SELECT idx, name, team, team_colour, colour, number FROM roster WHERE session_id = ? ORDER BY idx",
                (sid,),
            ).fetchall()

    def players(self, session_id: str) -> list[dict]:
        """Every player of a session, by first appearance: {player, name, track_ids, ids_merged, source, role}.

        A track in no player is a player of its own ("track-<id>", no name, source None). `role` is the
        coach's ('player', 'other'; None: not set, the assignment decides).
        """
        sid = self.resolve_id(session_id)
        self.flush()
        with self._lock, self._guard("reading players"):
            tracks = self._person_tracks(sid)
            mapping = self._conn.execute(
                "SELECT tp.track_id, tp.player_id, p.name, p.source, p.role FROM track_players tp JOIN players p "
                "ON p.session_id = tp.session_id AND p.player_id = tp.player_id WHERE tp.session_id = ?",
                (sid,),
            ).fetchall()
        by_player: dict[int, dict] = {}
        placed = set()
        for tid, pid, name, source, role in mapping:
            if tid not in tracks:
                continue
            p = by_player.setdefault(
                pid, {"player": f"player-{pid}", "name": name, "track_ids": [], "source": source, "role": role}
            )
            p["track_ids"].append(int(tid))
            placed.add(tid)
        out = list(by_player.values())
        out += [
            {"player": f"track-{tid}", "name": None, "track_ids": [tid], "source": None, "role": None}
            for tid in tracks
            if tid not in placed
        ]
        for p in out:
            p["track_ids"].sort(key=lambda t: (tracks[t][0], t))
            p["ids_merged"] = len(p["track_ids"]) - 1
        out.sort(key=lambda p: (tracks[p["track_ids"][0]][0], p["track_ids"][0]))
        return out

    def player_map(self, session_id: str) -> dict[int, str]:
        """Track id -> player key, for every person track (summaries keyed by player)."""
        return {t: p["player"] for p in self.players(session_id) for t in p["track_ids"]}

    def track_rows(self, session_id: str) -> list[tuple]:
        """Every track of a session: (track_id, class_id, first_frame, last_frame, first_t, last_t, frames),
        by first frame."""
        sid = self.resolve_id(session_id)
        self.flush()
        with self._reader("reading tracks") as conn:
            return conn.execute(
                "SELECT track_id, class_id, first_frame, last_frame, first_t, last_t, frames FROM tracks "
                "WHERE session_id = ? ORDER BY first_frame, track_id",
                (sid,),
            ).fetchall()

    def appearance(self, session_id: str, *, frames: bool = False) -> dict[int, list]:
        """Per track, its appearance samples (`identity.split_sample`) in the order they were stored;
        `frames`: as (frame, sample)."""
        sid = self.resolve_id(session_id)
        self.flush()
        out: dict[int, list] = {}
        with self._reader("reading appearance") as conn:
            for tid, frame, blob in conn.execute(
                "SELECT track_id, frame, hist FROM appearance WHERE session_id = ? ORDER BY id", (sid,)
            ):
                h = np.frombuffer(blob, dtype="<f4")
                out.setdefault(int(tid), []).append((int(frame), h) if frames else h)
        return out

    def track_photo(self, session_id: str, track_id) -> bytes | None:
        """A track's photo (JPEG), None when it has none."""
        sid = self.resolve_id(session_id)
        tid = _track_key(track_id)
        self.flush()
        with self._reader("reading a photo") as conn:
            row = conn.execute(
                "SELECT jpeg FROM track_photos WHERE session_id = ? AND track_id = ?", (sid, tid)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def track_photo_rows(self, session_id: str) -> list[tuple]:
        """Every stored photo of a session: (track_id, frame, t, box_height, score), by track id."""
        sid = self.resolve_id(session_id)
        self.flush()
        with self._reader("reading photos") as conn:
            return conn.execute(
                "SELECT track_id, frame, t, box_height, score FROM track_photos WHERE session_id = ? ORDER BY track_id",
                (sid,),
            ).fetchall()

    def player_photos(self, session_id: str) -> dict[str, bytes]:
        """Player key -> the best photo (JPEG) among its tracks' (a clear one, the tallest box); players without
        one left out."""
        sid = self.resolve_id(session_id)
        owner = self.player_map(sid)
        best: dict[str, tuple] = {}
        with self._reader("reading photos") as conn:
            for tid, jpeg, clear, height, score in conn.execute(
                "SELECT track_id, jpeg, clear, box_height, score FROM track_photos WHERE session_id = ?", (sid,)
            ):
                key = owner.get(int(tid))
                if key is not None and (key not in best or (clear, height, score) > best[key][:3]):
                    best[key] = (clear, height, score, bytes(jpeg))
        return {key: b[3] for key, b in best.items()}

    def player_photo(self, session_id: str, player) -> bytes | None:
        """One player's photo, given its key ("player-<id>", "track-<id>") or the coach's name for it."""
        sid = self.resolve_id(session_id)
        text = str(player).strip()
        for p in self.players(sid):
            if text.lower() == p["player"] or (p["name"] is not None and text == p["name"]):
                return self.player_photos(sid).get(p["player"])
        return None
