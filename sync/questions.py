""" "Who is this?" on the phone (issue #16): the routes `create_app` adds for a session's open questions and
the coach's answer to one, and a track's photo to show with it.

sync may not import the edits (docs/layers.toml): the questions and the answer come in as callbacks,
`questions(store, session_id) -> list[dict]` and `on_answer(store, session_id, track_id, who) -> summary`
(`player_edits.questions` and `player_edits.answer`, passed by `serve`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI, HTTPException, Response
from pydantic import BaseModel, ConfigDict, Field

from edge_app.errors import AxolotlError

# player_edits' answers besides a player key (not importable from here; tests/sync checks they agree)
SOMEONE_ELSE = "someone-else"
NOT_A_PLAYER = "not-a-player"


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    who: str = Field(
        min_length=1,
        max_length=64,
        description=f"a candidate's player key (player-<id>, track-<id>), {SOMEONE_ELSE!r} or {NOT_A_PLAYER!r}",
    )


def photo_url(session_id: str, player: str) -> str:
    return f"/sessions/{session_id}/players/{player}/photo"


def track_photo_url(session_id: str, track_id: int) -> str:
    return f"/sessions/{session_id}/tracks/{track_id}/photo"


def add_question_routes(
    app: FastAPI,
    *,
    sessions: Callable,
    auth: Callable,
    public: Callable[[Exception], str],
    session_or_404: Callable[[str], dict],
    questions: Callable | None,
    on_answer: Callable | None,
) -> None:
    """`sessions()`: the app's store; `auth`: its bearer dependency; `public(exc)`: an error's text without
    the box's paths; `session_or_404(id)`: the summary, or 404 (unknown session, none yet)."""

    def need(fn, what: str):
        if fn is None:
            raise HTTPException(503, f"{what} is not available on this server")
        return fn

    @app.get("/sessions/{session_id}/questions", tags=["sessions"])
    def get_questions(session_id: str, who: dict = Depends(auth)):
        """The open "who is this?" questions (at most five, the weightiest first): the track asked about,
        its player now and the likely players, each with its photo's URL (null without a photo)."""
        ask = need(questions, "who is this?")
        sid = session_or_404(session_id)["session_id"]
        store = sessions()
        try:
            asked = ask(store, sid)
            with_photo = set(store.player_photos(sid))
            tracks = {int(r[0]) for r in store.track_photo_rows(sid)}
        except AxolotlError as exc:
            raise HTTPException(409, public(exc)) from None
        return [
            {
                **q,
                "photo": track_photo_url(sid, q["track_id"]) if q["track_id"] in tracks else None,
                "candidates": [
                    {**c, "photo": photo_url(sid, c["player"]) if c["player"] in with_photo else None}
                    for c in q["candidates"]
                ],
            }
            for q in asked
        ]

    @app.post("/sessions/{session_id}/questions/{track_id}", tags=["sessions"])
    def answer_question(session_id: str, track_id: int, body: Answer, who: dict = Depends(auth)):
        """The coach's answer about one track: a player's key (the track is theirs), `someone-else` (a
        player of its own) or `not-a-player` (its own, with role "other": out of team totals). The
        summary is rebuilt and returned with the track's player now."""
        apply = need(on_answer, "who is this?")
        sid = session_or_404(session_id)["session_id"]
        store = sessions()
        players = store.players(sid)
        if not any(track_id in p["track_ids"] for p in players):
            raise HTTPException(404, f"session {sid[:8]} has no player track {track_id}")
        if body.who not in (SOMEONE_ELSE, NOT_A_PLAYER) and body.who not in {p["player"] for p in players}:
            raise HTTPException(
                422,
                f"session {sid[:8]} has no such player; answer with a candidate's player key, "
                f"{SOMEONE_ELSE!r} or {NOT_A_PLAYER!r}",  # the input not echoed, as the API's other errors
            )
        try:
            summary = apply(store, sid, track_id, body.who)
        except AxolotlError as exc:  # e.g. the track is seen with that player: two people
            raise HTTPException(409, public(exc)) from None
        now = next(p["player"] for p in store.players(sid) if track_id in p["track_ids"])
        return {"track_id": track_id, "player": now, "summary": summary}

    @app.get(
        "/sessions/{session_id}/tracks/{track_id}/photo",
        tags=["sessions"],
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}, "description": "the track's best photo"}},
    )
    def get_track_photo(session_id: str, track_id: int, who: dict = Depends(auth)):
        """One track's photo (JPEG): the person a question asks about."""
        try:
            jpeg = sessions().track_photo(session_id, track_id)
        except AxolotlError as exc:
            raise HTTPException(404, public(exc)) from None
        if jpeg is None:
            raise HTTPException(404, f"session {session_id} has no photo of track {track_id}")
        return Response(jpeg, media_type="image/jpeg")
