"""Commands on stored sessions: `sessions` (list, show, export, charts, compare), `players` (the
coach's corrections) and `feedback` (coaching words with drills)."""

from __future__ import annotations

import sys
from pathlib import Path

from cli.common import emit, open_store, write_charts
from cli.text import compare_text, feedback_text, players_text, session_text, sessions_text, summary_text
from edge_app.errors import AxolotlError


def cmd_sessions(args) -> int:
    store = open_store(args)
    try:
        if args.action == "list":
            rows = store.list_sessions()
            emit(args, rows, sessions_text(rows))
        elif args.action == "show":
            session = store.get_session(_need_id(args))
            session["players"] = store.players(session["id"])
            session["summary"] = store.get_summary(session["id"])
            text = session_text(session)
            if session["summary"]:
                text += "\n" + summary_text(session["summary"])
            emit(args, session, text)
        elif args.action == "compare":
            from edge_app.report import compare_sessions

            if not args.id or not args.other:
                raise AxolotlError("usage: sessions compare ID OTHER_ID (ids from `axolotl-edge sessions list`)")
            pair = [_need_summary(store, i) for i in (args.id, args.other)]
            rows = compare_sessions(*pair)
            emit(args, rows, compare_text(args.id, args.other, rows, pair[0]["units"]))
        elif args.action == "charts":
            summary = _need_summary(store, _need_id(args))
            write_charts(store, summary, Path(args.output or Path.cwd() / f"charts-{summary['session_id'][:8]}"))
        else:  # export
            if args.format in ("summary", "players"):
                import io

                from edge_app.report import write_summary

                summary = _need_summary(store, _need_id(args))
                buf = io.StringIO()
                write_summary(summary, args.format, buf)
                data = buf.getvalue()
            else:
                data = store.export_session(_need_id(args), fmt=args.format)
            if args.output:
                Path(args.output).write_text(data)
                print(f"wrote {args.output}", file=sys.stderr)
            else:
                sys.stdout.write(data)
    finally:
        store.close()
    return 0


def _need_summary(store, session_id: str) -> dict:
    summary = store.get_summary(session_id)
    if summary is None:
        raise AxolotlError(f"session {session_id} has no summary yet; run `axolotl-edge analyze` to the end first")
    return summary


def _need_id(args) -> str:
    if not args.id:
        raise AxolotlError(f"`sessions {args.action}` needs a session id; list them with `axolotl-edge sessions list`")
    return args.id


def cmd_players(args) -> int:
    """The coach's corrections: name a player, merge tracks, split a track, mark one not a player (or a
    player again); each re-summarises."""
    from edge_app import player_edits

    store = open_store(args)
    try:
        sid = store.resolve_id(args.id)
        if args.action == "name":
            if len(args.values) != 2:
                raise AxolotlError("usage: players ID name TRACK_OR_PLAYER NAME (e.g. players 3f2a name 7 Sam)")
            player_edits.name_player(store, sid, _track_or_player(args.values[0]), args.values[1])
        elif args.action == "merge":
            if len(args.values) < 2:
                raise AxolotlError("usage: players ID merge TRACK TRACK [TRACK ...] (track ids from `players ID list`)")
            player_edits.merge_tracks(store, sid, [_int(v, "track id") for v in args.values])
        elif args.action == "split":
            if len(args.values) != 2:
                raise AxolotlError("usage: players ID split TRACK FRAME (the later part gets a new track id)")
            player_edits.split_track(store, sid, _int(args.values[0], "track id"), _int(args.values[1], "frame"))
        elif args.action == "role":
            if len(args.values) != 2 or args.values[1] not in ("player", "other"):
                raise AxolotlError(
                    "usage: players ID role TRACK_OR_PLAYER player|other (other: not a player, out of team totals)"
                )
            player_edits.set_role(store, sid, _track_or_player(args.values[0]), args.values[1])
        players = with_roles(store.players(sid), store.get_summary(sid))
    finally:
        store.close()
    emit(args, players, players_text(players))
    return 0


def with_roles(players: list[dict], summary: dict | None) -> list[dict]:
    """Each player's role as the summary has it ("player" or "other": the roster's or the coach's), the
    coach's word or "player" for one the summary leaves out (seen too little)."""
    roles = {frozenset(p["track_ids"]): p.get("role") for p in (summary or {}).get("players", [])}
    return [{**p, "role": roles.get(frozenset(p["track_ids"])) or p["role"] or "player"} for p in players]


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise AxolotlError(f"'{value}' is not a {what}; give a whole number") from None


def _track_or_player(value: str):
    return int(value) if value.isdigit() else value


def _to_stderr(token: str) -> None:
    sys.stderr.write(token)
    sys.stderr.flush()


def cmd_feedback(args) -> int:
    from edge_app.config import load_config
    from edge_app.feedback.llm import FeedbackWriter
    from edge_app.feedback.service import generate_feedback

    cfg = load_config(args.config)
    writer = FeedbackWriter(args.model or cfg.feedback.model, max_tokens=cfg.feedback.max_tokens)
    stream = _to_stderr if args.stream and not args.json else None
    store = open_store(args)
    try:
        feedback = generate_feedback(store, args.id, player=args.player, writer=writer, on_token=stream)
    finally:
        store.close()
    # A missing or corrupt model was already reported in one warning line by the writer.
    emit(args, feedback, feedback_text(feedback, args.player))
    return 0


def add_players(sub, common) -> None:
    pl = sub.add_parser("players", parents=[common], help="players of a session: list, name, merge, split, role")
    pl.add_argument("id", help="session id (or its first 8 characters)")
    pl.add_argument("action", choices=["list", "name", "merge", "split", "role"], nargs="?", default="list")
    pl.add_argument(
        "values",
        nargs="*",
        help="name: TRACK NAME; merge: TRACK TRACK...; split: TRACK FRAME; role: TRACK player|other (other: not a player)",
    )
    pl.set_defaults(func=cmd_players)


def add_feedback(sub, common) -> None:
    f = sub.add_parser(
        "feedback", parents=[common], help="coaching feedback with drills for a stored session (local LLM)"
    )
    f.add_argument("id", help="session id (or its first 8 characters)")
    f.add_argument("--player", help="only this player (their label or name)")
    f.add_argument("--model", help="a GGUF model file instead of the default SmolLM2-135M")
    f.add_argument("--stream", action="store_true", help="show the model's tokens on stderr as they come")
    f.set_defaults(func=cmd_feedback)


def add_sessions(sub, common) -> None:
    s = sub.add_parser(
        "sessions", parents=[common], help="stored sessions: list, show ID, export ID, charts ID, compare ID ID"
    )
    s.add_argument("action", choices=["list", "show", "export", "charts", "compare"])
    s.add_argument("id", nargs="?", help="session id (or its first 8 characters)")
    s.add_argument("other", nargs="?", help="compare: the second session")
    s.add_argument(
        "--format",
        choices=["json", "csv", "summary", "players"],
        default="json",
        help="export: json/csv every frame and box; summary the summary JSON; players a CSV row per player",
    )
    s.add_argument("-o", "--output", help="export: write to this file instead of stdout; charts: the folder")
    s.set_defaults(func=cmd_sessions)
