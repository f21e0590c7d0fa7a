"""The box's local API (ARCHITECTURE §3, `axolotl-edge serve`): an ASGI app (FastAPI) served by uvicorn over TLS.

`POST /pair` trades a one-time code for a bearer token; every other route needs
`Authorization: Bearer <token>` (401 otherwise). Request bodies are capped at MAX_BODY (413), a
validation error names the field and the problem but never echoes the input, errors never name the
box's files (the database), and a live session starts only from an allowed source (`sync.live_sources`). Live sessions are driven through injected
callbacks (`on_live_start`, `on_live_stop`), "who is this?" too (`questions`, `on_answer`: `sync.questions`), and live metrics come from an injected source
(`live_metrics`: a callable returning an async iterator of dicts, e.g. `LiveBroadcaster.subscribe`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from edge_app.errors import AxolotlError
from edge_app.store import ensure_device_id
from sync.live_sources import RECORDINGS, LiveSources
from sync.net import DEFAULT_PORT
from sync.pairing import PairingRateLimited, PairingRefused, PairingStore
from sync.questions import add_question_routes
from sync.tls import ensure_certificate, write_private

API_VERSION = "1"
MAX_BODY = 64 * 1024  # the largest body a route takes is /cloud's (a CA certificate, a few KiB)


class BodyLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, by its Content-Length or as it streams in (chunked)."""

    def __init__(self, app, max_bytes: int = MAX_BODY):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            response = JSONResponse({"detail": f"request body over {self.max_bytes} bytes"}, status_code=413)
            return await response(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:  # raised inside the route: FastAPI answers 413
                    raise HTTPException(413, f"request body over {self.max_bytes} bytes")
            return message

        return await self.app(scope, limited, send)


def _validation_errors(_request, exc: RequestValidationError) -> JSONResponse:
    """Where and what, never the input (it may be huge, or someone else's)."""
    detail = [
        {"loc": [str(p)[:64] for p in e.get("loc", ())][:8], "msg": str(e.get("msg", ""))[:200], "type": e.get("type")}
        for e in exc.errors()[:10]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairRequest(_Strict):
    code: str = Field(min_length=1, max_length=32)
    client_name: str = Field("phone", max_length=64)


class PairResponse(BaseModel):
    token: str
    device_id: str | None = None


class CloudCredentials(_Strict):
    broker_url: str = Field(description="mqtts://host:port")
    ca_pem: str = Field(description="the broker's CA certificate (PEM)")
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    tenant: str = Field(min_length=1)


class LiveStart(_Strict):
    source: str | None = None  # camera/device; None: the configured one
    options: dict = Field(default_factory=dict)


def _toml_str(value) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def write_sync_config(data_dir: Path, creds: CloudCredentials, device_id: str) -> Path:
    """Save the CA PEM and `sync.toml` (host, port, tls_ca, username, password, tenant, device_id), both 0600."""
    from cryptography import x509

    url = urlsplit(creds.broker_url.strip())
    if url.scheme != "mqtts" or not url.hostname:
        raise AxolotlError(f"broker_url must look like mqtts://host:8883, not {creds.broker_url!r}")
    try:
        port = url.port or 8883
    except ValueError:
        raise AxolotlError(f"broker_url has a bad port: {creds.broker_url!r}") from None
    try:
        x509.load_pem_x509_certificate(creds.ca_pem.encode())
    except ValueError:
        raise AxolotlError("ca_pem is not a PEM certificate") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    ca_path = data_dir / "cloud-ca.pem"
    write_private(ca_path, creds.ca_pem.encode())
    lines = [
        f"host = {_toml_str(url.hostname)}",
        f"port = {port}",
        f"tls_ca = {_toml_str(ca_path)}",
        f"username = {_toml_str(creds.username)}",
        f"password = {_toml_str(creds.password)}",
        f"tenant = {_toml_str(creds.tenant)}",
        f"device_id = {_toml_str(device_id)}",
    ]
    path = data_dir / "sync.toml"
    write_private(path, ("\n".join(lines) + "\n").encode())
    return path


class LiveBroadcaster:
    """Fan-out of live metrics to SSE clients: `publish(dict)` from any thread, `subscribe()` per client.

    A slow client drops its oldest messages (bounded queue) rather than slowing the pipeline."""

    def __init__(self, maxsize: int = 64):
        self.maxsize = maxsize
        self._subs: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self._lock = threading.Lock()

    def publish(self, metrics: dict) -> None:
        with self._lock:
            subs = list(self._subs)
        for loop, q in subs:
            try:
                loop.call_soon_threadsafe(self._put, q, metrics)
            except RuntimeError:  # loop closed
                pass

    @staticmethod
    def _put(q: asyncio.Queue, item) -> None:
        if q.full():
            q.get_nowait()
        q.put_nowait(item)

    async def subscribe(self) -> AsyncIterator[dict]:
        q: asyncio.Queue = asyncio.Queue(self.maxsize)
        entry = (asyncio.get_running_loop(), q)
        with self._lock:
            self._subs.add(entry)
        try:
            while True:
                item = await q.get()
                if item is None:
                    return
                yield item
        finally:
            with self._lock:
                self._subs.discard(entry)


async def _call(fn, *args):
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def create_app(
    store_path: str | Path,
    data_dir: str | Path,
    *,
    pairing: PairingStore | None = None,
    on_live_start: Callable | None = None,
    on_live_stop: Callable | None = None,
    live_metrics: Callable[[], AsyncIterator[dict]] | None = None,
    device_id: str | None = None,
    on_paired: Callable | None = None,
    live_sources: LiveSources | None = None,
    questions: Callable | None = None,
    on_answer: Callable | None = None,
) -> FastAPI:
    """The local API. `store_path`: the sessions database (opened on first use); `data_dir`: where
    pairing.db, sync.toml and the CA live. Callbacks may be sync or async:
    `on_live_start(LiveStart-as-dict) -> dict|str|None`, `on_live_stop() -> dict|None`,
    `live_metrics() -> async iterator of dicts`, `on_paired(client_name)` (e.g. re-announce zeroconf),
    `questions(store, session_id)` and `on_answer(store, session_id, track_id, who)` ("who is this?",
    `sync.questions`; sync only: they rebuild the summary in the request's worker thread).
    `live_sources`: what a phone may start a live session from (default: no camera but the default one, and
    the videos in `<data_dir>/recordings`)."""
    data_dir = Path(data_dir).expanduser()
    live_sources = live_sources or LiveSources((), data_dir / RECORDINGS)
    hidden = sorted(
        {str(Path(store_path)), str(Path(store_path).expanduser().resolve()), str(data_dir), str(data_dir.resolve())},
        key=len,
        reverse=True,
    )

    def public(exc: Exception) -> str:
        """An error's text for the phone: the box's own paths left out."""
        text = str(exc)
        for path in hidden:
            text = text.replace(path, "the box")
        return text

    pairing = pairing or PairingStore(data_dir / "pairing.db")
    state: dict = {"store": None}
    store_lock = threading.Lock()

    def sessions():
        with store_lock:
            if state["store"] is None:
                from edge_app.store import SessionStore

                state["store"] = SessionStore(store_path)  # the sessions routes need it whole
            return state["store"]

    def the_device_id() -> str:
        return device_id or ensure_device_id(store_path)  # the id alone needs no whole store

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        with store_lock:  # closed on shutdown; a later request (a new lifespan) reopens it
            if state["store"] is not None:
                state["store"].close()
                state["store"] = None

    app = FastAPI(
        title="Axolotl Edge local API",
        version=API_VERSION,
        lifespan=lifespan,
        description="Pairing, cloud provisioning, sessions and live metrics of one Axolotl Edge box.",
    )

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY)
    app.add_exception_handler(RequestValidationError, _validation_errors)

    bearer = HTTPBearer(auto_error=False, description="a token from POST /pair")

    def auth(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> dict:
        who = pairing.identify(creds.credentials) if creds and creds.scheme.lower() == "bearer" else None
        if who is None:
            raise HTTPException(
                401, "missing, unknown or revoked token; pair again", headers={"WWW-Authenticate": "Bearer"}
            )
        return who

    @app.post("/pair", response_model=PairResponse, tags=["pairing"])
    def pair(body: PairRequest, request: Request):
        """Trade a one-time code (shown by `axolotl-edge pair`) for a bearer token. Rate-limited."""
        source = request.client.host if request.client else None
        try:
            token = pairing.redeem(body.code, body.client_name, source=source)
        except PairingRateLimited as exc:
            raise HTTPException(429, str(exc), headers={"Retry-After": str(int(exc.retry_after_s) + 1)}) from None
        except PairingRefused as exc:
            raise HTTPException(403, str(exc)) from None
        if on_paired is not None:
            try:
                on_paired(body.client_name)
            except Exception:  # advertising is best effort
                pass
        did = None
        try:
            did = the_device_id()
        except AxolotlError:
            pass
        return PairResponse(token=token, device_id=did)

    @app.post("/cloud", tags=["cloud"])
    def provision_cloud(body: CloudCredentials, who: dict = Depends(auth)):
        """Store the cloud (MQTT) credentials in sync.toml (0600)."""
        try:
            path = write_sync_config(data_dir, body, the_device_id())
        except AxolotlError as exc:
            raise HTTPException(422, public(exc)) from None
        url = urlsplit(body.broker_url)
        return {"ok": True, "path": str(path), "host": url.hostname, "port": url.port or 8883, "tenant": body.tenant}

    @app.get("/tokens", tags=["pairing"])
    def list_tokens(who: dict = Depends(auth)):
        return pairing.tokens()

    @app.delete("/tokens/{name}", tags=["pairing"])
    def revoke_token(name: str, who: dict = Depends(auth)):
        """Revoke the tokens with this id or client name."""
        n = pairing.revoke(name)
        if not n:
            raise HTTPException(404, f"no active token named {name!r}")
        return {"revoked": n}

    def _session_or_404(sid: str) -> dict:
        try:
            summary = sessions().get_summary(sid)
        except AxolotlError as exc:
            raise HTTPException(404, public(exc)) from None
        if summary is None:
            raise HTTPException(404, f"session {sid} has no summary yet")
        return summary

    @app.get("/sessions", tags=["sessions"])
    def list_sessions(who: dict = Depends(auth)):
        return sessions().list_sessions()

    @app.get("/sessions/{session_id}/summary", tags=["sessions"])
    def get_summary(session_id: str, who: dict = Depends(auth)):
        return _session_or_404(session_id)

    @app.get("/sessions/{session_id}/feedback", tags=["sessions"])
    def get_feedback(session_id: str, who: dict = Depends(auth)):
        feedback = _session_or_404(session_id).get("feedback")
        if not feedback:
            raise HTTPException(
                404, f"no feedback for session {session_id} yet; run `axolotl-edge feedback {session_id}` on the box"
            )
        return feedback

    @app.get(
        "/sessions/{session_id}/players/{player}/photo",
        tags=["sessions"],
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}}, "description": "the player's best photo"}},
    )
    def get_player_photo(session_id: str, player: str, who: dict = Depends(auth)):
        """A player's photo (JPEG): `player` as the summary names it (the coach's name, or its key)."""
        try:
            jpeg = sessions().player_photo(session_id, player)
        except AxolotlError as exc:
            raise HTTPException(404, public(exc)) from None
        if jpeg is None:
            raise HTTPException(404, f"session {session_id} has no photo of that player")
        return Response(jpeg, media_type="image/jpeg")

    add_question_routes(
        app,
        sessions=sessions,
        auth=auth,
        public=public,
        session_or_404=_session_or_404,
        questions=questions,
        on_answer=on_answer,
    )

    @app.get("/roster", tags=["roster"])
    def get_roster(who: dict = Depends(auth)):
        """The box's roster (docs/ROSTER.md's schema as JSON): what a session without its own uses."""
        from edge_app.identity.roster import default_roster, roster_to_dict

        try:
            roster = default_roster(data_dir)
        except AxolotlError as exc:
            raise HTTPException(422, public(exc)) from None
        if roster is None:
            raise HTTPException(404, "no roster set on this box; PUT /roster to set one")
        return roster_to_dict(roster)

    @app.put("/roster", tags=["roster"])
    def put_roster(body: dict = Body(...), who: dict = Depends(auth)):
        """Set the box's roster: {"teams": {team: colour}, "players": [names or {name, team, colour, number}]}."""
        from edge_app.identity.roster import roster_to_dict, save_default_roster

        try:
            return roster_to_dict(save_default_roster(body, data_dir))
        except AxolotlError as exc:
            raise HTTPException(422, public(exc)) from None

    @app.post("/live/start", tags=["live"])
    async def live_start(body: LiveStart | None = None, who: dict = Depends(auth)):
        if on_live_start is None:
            raise HTTPException(503, "live sessions are not available on this server")
        options = (body or LiveStart()).model_dump()
        try:
            options["source"] = await asyncio.to_thread(live_sources.check, options["source"])
            result = await _call(on_live_start, options)
        except AxolotlError as exc:
            raise HTTPException(409, public(exc)) from None
        return result if isinstance(result, dict) else {"ok": True, "session_id": result}

    @app.post("/live/stop", tags=["live"])
    async def live_stop(who: dict = Depends(auth)):
        if on_live_stop is None:
            raise HTTPException(503, "live sessions are not available on this server")
        try:
            result = await _call(on_live_stop)
        except AxolotlError as exc:
            raise HTTPException(409, public(exc)) from None
        return result if isinstance(result, dict) else {"ok": True}

    @app.get(
        "/live/metrics",
        tags=["live"],
        response_class=StreamingResponse,
        responses={
            200: {
                "content": {"text/event-stream": {}},
                "description": "Server-Sent Events: `event: metrics`, JSON data",
            }
        },
    )
    async def live_metrics_stream(who: dict = Depends(auth)):
        if live_metrics is None:
            raise HTTPException(503, "live metrics are not available on this server")

        async def events():
            yield ": connected\n\n"
            source = live_metrics()
            ending = asyncio.Event()
            app.state.live_streams.add(ending)
            try:
                async for item in _until(ending, source):
                    yield f"event: metrics\ndata: {json.dumps(item, default=str)}\n\n"
            finally:
                app.state.live_streams.discard(ending)
                close = getattr(source, "aclose", None)
                if close is not None:
                    await close()

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )

    app.state.pairing = pairing
    app.state.live_streams = set()  # an asyncio.Event per open /live/metrics stream; set = end it
    return app


async def _until(ending: asyncio.Event, source: AsyncIterator[dict]) -> AsyncIterator[dict]:
    """`source`'s items until it ends or `ending` is set (the server is shutting down)."""
    ended = asyncio.ensure_future(ending.wait())
    try:
        while True:
            item = asyncio.ensure_future(anext(source))
            await asyncio.wait((item, ended), return_when=asyncio.FIRST_COMPLETED)
            if not item.done():
                item.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await item
                return
            try:
                value = item.result()
            except StopAsyncIteration:
                return
            yield value
    finally:
        ended.cancel()


SHUTDOWN_GRACE_S = 3


def make_server(app, host: str, port: int, certfile: str | Path, keyfile: str | Path, **kw):
    """A uvicorn.Server for the app over TLS (call `.run()`, or run it in a thread and set `.should_exit`)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None):
            # An open /live/metrics stream never ends by itself: end each one, so uvicorn need not cancel
            # it after the grace (which logs the cancelled task's traceback).
            for ending in list(getattr(app.state, "live_streams", ())):
                ending.set()
            await super().shutdown(sockets)

    # On SIGINT/SIGTERM uvicorn waits for every connection to close: an idle keep-alive TLS connection waits
    # for the phone's close_notify (asyncio's 30 s). A few seconds let a request in progress finish; then
    # the rest are cut.
    kw.setdefault("timeout_graceful_shutdown", SHUTDOWN_GRACE_S)
    config = uvicorn.Config(
        app,
        host=host,
        port=int(port),
        ssl_certfile=str(certfile),
        ssl_keyfile=str(keyfile),
        log_level=kw.pop("log_level", "warning"),
        **kw,
    )
    return Server(config)


def serve(app, host: str, port: int, certfile: str | Path, keyfile: str | Path, **kw) -> None:
    """Serve the app over TLS until interrupted."""
    make_server(app, host, port, certfile, keyfile, **kw).run()


def run_serve(
    db_path: str | Path,
    data_dir: str | Path,
    host: str = "0.0.0.0",
    port: int = DEFAULT_PORT,
    *,
    name: str | None = None,
    version: str | None = None,
    advertise: bool = True,
    cameras=(),
    **callbacks,
) -> None:
    """`axolotl-edge serve`: certificate (made on first start), zeroconf advertisement, then the API over TLS.

    `cameras`: the sources a phone may name (besides the recordings); `callbacks`: on_live_start,
    on_live_stop, live_metrics, questions, on_answer (see create_app)."""
    import socket
    import sys
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as pkg_version

    data_dir = Path(data_dir).expanduser()
    cert, key, fp = ensure_certificate(data_dir)
    pairing = PairingStore(data_dir / "pairing.db")
    ad = None
    app = create_app(
        db_path,
        data_dir,
        pairing=pairing,
        live_sources=LiveSources(cameras, data_dir / RECORDINGS),
        on_paired=lambda _client: ad.update(paired=True) if ad is not None else None,
        **callbacks,
    )
    if advertise:
        from sync.discovery import advertise as zc_advertise

        try:
            version = version or pkg_version("axolotl-edge")
        except PackageNotFoundError:
            version = "0"
        device_id = ensure_device_id(db_path)
        try:
            ad = zc_advertise(device_id, name or socket.gethostname(), version, port, pairing.paired())
        except AxolotlError as exc:
            print(f"warning: {exc}", file=sys.stderr)
    print(f"Axolotl Edge API on https://{host}:{port} (certificate sha256 {fp})", file=sys.stderr)
    try:
        serve(app, host, port, cert, key)
    finally:
        if ad is not None:
            ad.close()
