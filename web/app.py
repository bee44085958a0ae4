"""The console's pages: ``create_app(settings)`` and what each address does.

Secretariat side (signed in): My work, Mandates (filters, pages), a mandate (its text, plan,
answers, timeline, and the actions of its current step), Import, Report, Audit. Party side
(no account, the personal link): the request, the answer form, the confirmation. Every
action calls a use case; a refusal is shown as one line on the page it came from.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from config.identity import ON_BEHALF_OF, Directory, Identity, load_directory
from config.settings import Settings
from domain.errors import DomainError
from domain.mandate import KIND_LABELS
from domain.timeline import kinds_label
from domain.vocabulary import ACTOR_LABELS, MandateKind
from usecases import Engine, failure_message, importing, links, reporting, reviews, steering
from usecases.answers import AnswerView, mandate_answers
from usecases.auditing import recent_checkpoints, verify
from usecases.reading import STATUSES, browse, caught_up, my_work, show_mandate, work_count
from usecases.steering import (
    ApproveRequest,
    CompleteTaskRequest,
    ExtendDeadlineRequest,
    RejectRequest,
    RespondRequest,
    WithdrawRequest,
)
from web.security import HEADERS, SESSION_COOKIE, SESSION_SECONDS, Session, Signer, TrustedProxies

HERE = Path(__file__).parent
PER_PAGE = 25
WORK_SHOWN = 100  # My work: the soonest deadlines (the count in the navigation is of all)
MAX_UPLOAD = 50 * 1024 * 1024
MAX_TABLES = 20  # (a questionnaire's tables, each sent as a CSV file)
KINDS = tuple(k.value for k in MandateKind)
_HEADING = re.compile(r"<(/?)h([1-5])")


class Console:
    """What every page works with: settings, the engine, the signer and the people."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.signer = Signer(settings.web_secret_bytes())
        self._directory: tuple[float, Directory] | None = None

    @property
    def identities_file(self) -> Path:
        return self.settings.identities_file or self.settings.dev_identities_file

    def directory(self) -> Directory:
        """The identities file, read again when it changes (people and roles come and go)."""
        mtime = self.identities_file.stat().st_mtime
        if self._directory is None or self._directory[0] != mtime:
            self._directory = (mtime, load_directory(self.identities_file))
        return self._directory[1]


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The console for these settings (``engine``: one made already, as the tests do)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        made = engine is None
        used = engine or await _engine(settings)
        app.state.console = Console(settings, used)
        try:
            yield
        finally:
            if made:
                await used.close()

    app = FastAPI(title="Mandate Engine", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["day"] = _day
    templates.env.filters["moment"] = _moment
    templates.env.filters["kinds"] = lambda ks: kinds_label(list(ks)) or "-"
    templates.env.filters["count"] = _count
    templates.env.globals["actor_label"] = lambda a: ACTOR_LABELS.get(a, a)
    proxies = TrustedProxies(settings.web_trusted_proxies)
    _routes(app, templates)

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Any]) -> Response:
        peer = request.client.host if request.client else None
        trusted = proxies.trusts(peer)
        request.state.from_trusted_proxy = trusted
        forwarded = request.headers.get("x-forwarded-proto", "").strip().lower()
        if trusted and forwarded in ("http", "https"):
            request.scope["scheme"] = forwarded
        response: Response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/answer/"):
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return app


async def _engine(settings: Settings) -> Engine:
    from config.client import connect_temporal  # (the console's own client: it signs for people)

    directory = load_directory(settings.identities_file or settings.dev_identities_file)
    token = directory.delegate_token()
    if token is None:
        raise DomainError(
            'the identities file has no delegate for the console (an entry with "delegate": true)'
        )
    client = await connect_temporal(settings, delegate_token=token)
    return Engine(settings, pool_size=5, client=client)


# --- helpers ----------------------------------------------------------------------------------


def _day(value: datetime | date | None) -> str:
    if value is None:
        return ""
    return (value.astimezone(UTC).date() if isinstance(value, datetime) else value).isoformat()


def _moment(value: datetime | None) -> str:
    if value is None:
        return ""
    t = value.astimezone(UTC)  # (formatted by hand: strftime was a tenth of a mandate's page)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d} UTC"


def _count(number: int, noun: str) -> str:
    """``1 stage``, ``2 stages``: a number with its noun (plural with an s)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _console(request: Request) -> Console:
    return request.app.state.console


def _session(request: Request) -> Session | None:
    return _console(request).signer.session_of(request.cookies.get(SESSION_COOKIE))


def _secure(request: Request) -> bool:
    """Whether the browser reached the console over TLS (directly, or through a proxy of
    ``MANDATES_WEB_TRUSTED_PROXIES`` that says so); then its cookie is ``Secure``."""
    return request.url.scheme == "https"


def _set_session(request: Request, response: Response, person: str | None) -> Session:
    session, cookie = _console(request).signer.session_cookie(person)
    _set_cookie(request, response, cookie)
    return session


def _set_cookie(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


class _Refusal(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _viewer(request: Request) -> tuple[Session, Identity]:
    """``_person`` for a page: the count of the navigation's My work starts at once, on a
    connection of its own, while the page reads what it shows (``signed_in`` takes it)."""
    session, identity = _person(request)
    counting = asyncio.ensure_future(work_count(_console(request).engine, set(identity.names())))
    _COUNTING.add(counting)  # (held until done, even when the page is refused and never takes it)
    counting.add_done_callback(_counted)
    request.state.work_count = counting
    return session, identity


_COUNTING: set[asyncio.Future[int]] = set()


def _counted(task: asyncio.Future[int]) -> None:
    _COUNTING.discard(task)
    if not task.cancelled():
        task.exception()  # (retrieved: a page that failed says why itself)


def _person(request: Request) -> tuple[Session, Identity]:
    console = _console(request)
    header = console.settings.web_auth_header
    if header and request.headers.get(header) and request.state.from_trusted_proxy:
        # a signing-in proxy in front (OIDC) named the person; from anyone else it counts for nothing
        identity = console.directory().person(request.headers[header])
        if identity is None:
            raise _Refusal(f"{request.headers[header]} is not in the identities file", 403)
        session = _session(request) or Session(identity.person, "proxy:" + identity.person, 0)
        return session, identity
    session = _session(request)
    if session is None or session.person is None:
        raise _SignIn()
    identity = console.directory().person(session.person)
    if identity is None:
        raise _SignIn()
    return session, identity


class _SignIn(Exception):
    pass


def _checked(request: Request, session: Session, form: Any) -> None:
    if not _console(request).signer.csrf_holds(session.sid, form.get("csrf")):
        raise _Refusal(
            "this form has expired or did not come from this console: reload the page and try again", 403
        )


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    if isinstance(exc, DomainError):
        return str(exc)
    return failure_message(exc) or f"{type(exc).__name__}: {exc}"


def _deadline(value: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time(23, 59, 59), tzinfo=UTC)
    except ValueError:
        raise _Refusal(f"the new deadline must be a date like 2027-03-31, not {value!r}") from None


def _amount(value: str, what: str) -> Decimal:
    try:
        amount = Decimal(value or "0")
    except InvalidOperation:
        raise _Refusal(f"{what} must be a number, not {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise _Refusal(f"{what} must be zero or more")
    return amount


# --- pages ------------------------------------------------------------------------------------


def _routes(app: FastAPI, templates: Jinja2Templates) -> None:
    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        session = _session(request)
        context.setdefault("person", None)
        context.setdefault("work_count", None)
        context["csrf"] = _console(request).signer.csrf(session.sid) if session else ""
        return templates.TemplateResponse(request, template, context, status_code=status)

    async def signed_in(request: Request, template: str, **context: Any) -> HTMLResponse:
        _, identity = _person(request)
        counting = getattr(request.state, "work_count", None)
        count = await (counting or work_count(_console(request).engine, set(identity.names())))
        context.update(person=identity, work_count=count, roles=sorted(identity.roles))
        response = page(request, template, **context)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(_SignIn)
    async def sign_in_first(request: Request, exc: _SignIn) -> Response:
        return RedirectResponse("/signin?" + urlencode({"next": request.url.path}), status_code=303)

    @app.exception_handler(_Refusal)
    async def refused(request: Request, exc: _Refusal) -> Response:
        return page(request, "message.html", status=exc.status, title="Not done", message=str(exc))

    @app.exception_handler(DomainError)
    async def domain_refusal(request: Request, exc: DomainError) -> Response:
        status = (
            404 if exc.code in ("not_found", "link_invalid") else 410 if exc.code == "link_expired" else 409
        )
        return page(request, "message.html", status=status, title="Not done", message=_one_line(exc))

    @app.get("/health", response_class=PlainTextResponse)
    async def health() -> str:
        return "ok"

    @app.get("/")
    async def home(request: Request) -> Response:
        session = _session(request)
        return RedirectResponse("/work" if session and session.person else "/signin", status_code=303)

    # --- signing in -------------------------------------------------------------------------

    @app.get("/signin")
    async def signin_page(request: Request, next: str = "/work") -> HTMLResponse:
        session = _session(request)
        if session is not None:
            return page(request, "signin.html", next=_safe_next(next), error=None)
        visitor, cookie = _console(request).signer.session_cookie(None)  # so the form has a token
        response = templates.TemplateResponse(
            request,
            "signin.html",
            {"next": _safe_next(next), "error": None, "person": None, "work_count": None,
             "csrf": _console(request).signer.csrf(visitor.sid)},
        )  # fmt: skip
        _set_cookie(request, response, cookie)
        return response

    @app.post("/signin")
    async def signin(request: Request) -> Response:
        form = await request.form()
        session = _session(request)
        if session is None or not _console(request).signer.csrf_holds(
            session.sid, str(form.get("csrf") or "")
        ):
            raise _Refusal("the sign-in form has expired: reload the page and sign in again", 403)
        person, password = str(form.get("person") or "").strip(), str(form.get("password") or "")
        identity = await asyncio.to_thread(_console(request).directory().signed_in, person, password)
        target = _safe_next(str(form.get("next") or "/work"))
        if identity is None:
            response = page(request, "signin.html", status=401, next=target, error="Wrong name or password.")
            return response
        response = RedirectResponse(target, status_code=303)
        _set_session(request, response, identity.person)  # a new session id: none planted before counts
        return response

    @app.post("/signout")
    async def signout(request: Request) -> Response:
        session, _ = _person(request)
        _checked(request, session, await request.form())
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # --- my work, mandates ------------------------------------------------------------------

    @app.get("/work")
    async def work(request: Request) -> HTMLResponse:
        _, identity = _viewer(request)
        items = await my_work(_console(request).engine, set(identity.names()), limit=WORK_SHOWN)
        return await signed_in(request, "work.html", items=items, shown=WORK_SHOWN)

    @app.get("/mandates")
    async def mandates(
        request: Request,
        status: str = "",
        kind: str = "",
        overdue: str = "",
        resolution: str = "",
        q: str = "",
        page_number: int = 1,
    ) -> HTMLResponse:
        _viewer(request)
        if status and status not in STATUSES:
            raise _Refusal(f"unknown status {status!r}")
        if kind and kind not in KINDS:
            raise _Refusal(f"unknown kind {kind!r}")
        rows, total = await browse(
            _console(request).engine,
            status=status or None,
            kind=kind or None,
            overdue=bool(overdue),
            resolution=resolution or None,
            text=q or None,
            page=page_number,
            per_page=PER_PAGE,
        )
        filters = {"status": status, "kind": kind, "overdue": overdue, "resolution": resolution, "q": q}
        pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
        return await signed_in(
            request, "mandates.html", rows=rows, total=total, filters=filters, page_number=page_number,
            pages=pages, statuses=STATUSES, kinds=[(k, KIND_LABELS[MandateKind(k)]) for k in KINDS],
            query=lambda n: urlencode({**{k: v for k, v in filters.items() if v}, "page_number": n}),
        )  # fmt: skip

    @app.get("/mandates/{mandate_id}")
    async def mandate(request: Request, mandate_id: str) -> HTMLResponse:
        _, identity = _viewer(request)
        engine = _console(request).engine
        detail, answers = await asyncio.gather(
            show_mandate(engine, mandate_id),
            mandate_answers(engine, mandate_id, reader_names=identity.names()),
        )
        if detail is None:
            raise _Refusal(f"no mandate {mandate_id!r}", 404)
        current = next((s for s in detail.steps if s.step_id == detail.current_step), None)
        party_links = {}
        if current is not None and current.type == "consultation" and detail.coordinator in identity.names():
            for p in current.parties:
                party_links[p.party] = await links.link_for(engine, mandate_id, current.step_id, p.party)
        answers_of: dict[tuple[str, str], list[AnswerView]] = {}
        for answer in answers:
            answers_of.setdefault((answer.step_id, answer.party), []).append(answer)
        return await signed_in(
            request, "mandate.html", m=detail, current=current, answers_of=answers_of,
            party_links=party_links, names=identity.names(),
        )  # fmt: skip

    @app.post("/mandates/{mandate_id}/{action}")
    async def act(request: Request, mandate_id: str, action: str) -> Response:
        session, identity = _person(request)
        form = await request.form()
        _checked(request, session, form)
        engine = _console(request).engine
        step = str(form.get("step") or "") or None
        by = str(form.get("as") or identity.person)
        if by not in identity.names():
            raise _Refusal(f"{identity.person} may not act as {by!r}", 403)
        reset = ON_BEHALF_OF.set(identity.person)
        try:
            match action:
                case "respond":
                    request_ = RespondRequest(
                        party=str(form.get("party") or ""), text=str(form.get("text") or ""), step_id=step,
                        by=identity.person, revise=bool(form.get("revise")),
                    )  # fmt: skip
                    recorded = await steering.respond(engine, mandate_id, request_)
                case "approve":
                    recorded = await steering.approve(
                        engine,
                        mandate_id,
                        ApproveRequest(by=by, comment=str(form.get("comment") or ""), step_id=step),
                    )
                case "reject":
                    recorded = await steering.reject(
                        engine,
                        mandate_id,
                        RejectRequest(by=by, comment=str(form.get("comment") or ""), step_id=step),
                    )
                case "complete":
                    recorded = await steering.complete(
                        engine,
                        mandate_id,
                        CompleteTaskRequest(
                            by=by, outcome=str(form.get("outcome") or ""), step_id=step,
                            effort_days=_amount(str(form.get("effort_days") or ""), "the effort"),
                            cost=_amount(str(form.get("cost") or ""), "the cost"),
                            currency=str(form.get("currency") or "USD").upper(),
                        ),
                    )  # fmt: skip
                case "extend":
                    recorded = await steering.extend(
                        engine,
                        mandate_id,
                        ExtendDeadlineRequest(
                            by=by, until=_deadline(str(form.get("until") or "")),
                            reason=str(form.get("reason") or ""), step_id=step,
                        ),
                    )  # fmt: skip
                case "withdraw":
                    recorded = await steering.withdraw(
                        engine, mandate_id, WithdrawRequest(by=by, reason=str(form.get("reason") or ""))
                    )
                case "revoke-link":
                    party = str(form.get("party") or "")
                    await links.revoke(engine, mandate_id, step or "", party, by, names=identity.names())
                    recorded = None
                case _:
                    raise _Refusal(f"no action {action!r}", 404)
        except ValidationError as exc:
            raise _Refusal(_one_line(exc)) from None
        finally:
            ON_BEHALF_OF.reset(reset)
        if recorded is not None:  # (the page that follows shows what was recorded)
            await caught_up(engine, mandate_id, recorded.result.version)
        return RedirectResponse(f"/mandates/{mandate_id}?done={action}", status_code=303)

    @app.get("/mandates/{mandate_id}/files/{sha256}")
    async def attachment(request: Request, mandate_id: str, sha256: str) -> Response:
        _, identity = _person(request)
        engine = _console(request).engine
        visible = {
            a.sha256
            for answer in await mandate_answers(engine, mandate_id, reader_names=identity.names())
            if answer.text is not None
            for a in answer.attachments
        }
        found = await links.attachment(engine, sha256) if sha256 in visible else None
        if found is None:
            raise _Refusal("no such file, or not one you may read", 404)
        content_type, content = found
        return Response(
            content,
            media_type=content_type,
            headers={"Content-Disposition": f'attachment; filename="{sha256[:12]}"'},
        )

    # --- import -----------------------------------------------------------------------------

    @app.get("/import")
    async def import_page(request: Request) -> HTMLResponse:
        return await signed_in(request, "import.html", preview=None, upload=None)

    @app.post("/import/preview")
    async def import_preview(request: Request, document: UploadFile) -> HTMLResponse:
        session, _ = _person(request)
        form = await request.form()
        _checked(request, session, form)
        data = await document.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise _Refusal("the file is larger than 50 MB, too large for a resolution")
        resolution = importing.read_resolution(data)
        sha = hashlib.sha256(data).hexdigest()
        await links.keep_upload(_console(request).engine, sha, data)
        return await signed_in(
            request, "import.html", preview=resolution, upload=sha, filename=document.filename
        )

    @app.post("/import/start")
    async def import_start(request: Request) -> HTMLResponse:
        session, identity = _person(request)
        form = await request.form()
        _checked(request, session, form)
        engine = _console(request).engine
        stored = await links.attachment(engine, str(form.get("upload") or ""))
        if stored is None:
            raise _Refusal("the uploaded resolution is gone: upload it again")
        resolution = importing.read_resolution(stored[1])
        plan_data = None
        plan_file = form.get("plan")
        if isinstance(plan_file, UploadFile) or hasattr(plan_file, "read"):
            raw = await plan_file.read(1024 * 1024 + 1)  # type: ignore[union-attr]
            if raw:
                plan_data = importing.plan_document(raw)
        planned = importing.plan(resolution, engine.now(), plan_data)
        reset = ON_BEHALF_OF.set(identity.person)
        try:
            imported = await importing.start(engine, planned, identity.person, timeout=engine.wait_seconds)
        finally:
            ON_BEHALF_OF.reset(reset)
        for row in imported:
            await caught_up(engine, row.mandate_id, 1, within=1.0)
        return await signed_in(request, "imported.html", imported=imported, resolution=resolution)

    # --- report, audit ----------------------------------------------------------------------

    @app.get("/report")
    async def report(request: Request, resolution: str = "", period: str = "", format: str = "") -> Response:
        if format in ("md", "html"):
            _person(request)  # (a download: no navigation to count for)
        else:
            _viewer(request)
        span = reporting.ReportPeriod.parse(period) if period else None
        built = await reporting.progress_report(
            _console(request).engine, resolution=resolution or None, period=span
        )
        if format in ("md", "html"):
            text = reporting.render(built, format)
            media = "text/markdown" if format == "md" else "text/html"
            name = f"progress-report.{format}"
            return Response(
                text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
            )
        html = reporting.render(built, "html")
        body = html.split("<body>", 1)[-1].rsplit("</body>", 1)[0] if "<body>" in html else html
        body = _HEADING.sub(lambda h: f"<{h[1]}h{int(h[2]) + 1}", body)  # (under the page's own h1)
        return await signed_in(
            request, "report.html", body=body, resolution=resolution, period=period,
            query=urlencode({k: v for k, v in {"resolution": resolution, "period": period}.items() if v}),
        )  # fmt: skip

    @app.get("/audit")
    async def audit(request: Request) -> HTMLResponse:
        _viewer(request)
        engine = _console(request).engine
        result = await verify(engine)
        checkpoints = await asyncio.to_thread(recent_checkpoints, engine)
        return await signed_in(request, "audit.html", result=result, checkpoints=checkpoints)

    # --- the review calendar ----------------------------------------------------------------

    @app.get("/reviews")
    async def review_overlaps(
        request: Request,
        window_days: int = reviews.DEFAULT_WINDOW_DAYS,
        state: str = "",
        confidential: str = "",
    ) -> HTMLResponse:
        _, identity = _viewer(request)
        engine = _console(request).engine
        viewer = reviews.Viewer(person=identity.person, names=identity.names())
        found = await reviews.overlaps(
            engine, window_days=window_days, state=state or None, viewer=viewer, reveal=bool(confidential)
        )
        heaviest = (await reviews.burden(engine, viewer=viewer, reveal=bool(confidential)))[:10]
        costs = await reviews.costs(engine)
        return await signed_in(
            request, "reviews.html", overlaps=found, heaviest=heaviest, costs=costs,
            window_days=window_days, state=state, confidential=bool(confidential),
        )  # fmt: skip

    @app.get("/reviews/{state}")
    async def review_timeline(
        request: Request, state: str, window_days: int = reviews.DEFAULT_WINDOW_DAYS, confidential: str = ""
    ) -> HTMLResponse:
        _, identity = _viewer(request)
        viewer = reviews.Viewer(person=identity.person, names=identity.names())
        timeline = await reviews.state_timeline(
            _console(request).engine, state, window_days=window_days, viewer=viewer, reveal=bool(confidential)
        )
        return await signed_in(
            request, "timeline.html", timeline=timeline, chart=_chart(timeline), window_days=window_days,
            confidential=bool(confidential),
        )  # fmt: skip

    # --- the party's page -------------------------------------------------------------------

    @app.get("/answer/{token}")
    async def party_page(request: Request, token: str) -> HTMLResponse:
        asked = await links.open_link(_console(request).engine, token)
        signer = _console(request).signer
        context = {"asked": asked, "csrf": signer.csrf("link:" + token), "error": None, "problems": []}
        return templates.TemplateResponse(request, "answer.html", context)

    @app.post("/answer/{token}")
    async def party_answer(request: Request, token: str) -> HTMLResponse:
        engine = _console(request).engine
        asked = await links.open_link(engine, token)
        form = await request.form(
            max_files=links.MAX_FILES + MAX_TABLES + 1, max_part_size=links.MAX_FILE_BYTES + 1024
        )
        signer = _console(request).signer
        if not signer.csrf_holds("link:" + token, str(form.get("csrf") or "")):
            raise _Refusal("this form has expired: reload the page and answer again", 403)
        uploads = []
        for item in form.getlist("files"):
            if isinstance(item, str) or not getattr(item, "filename", ""):
                continue
            content = await item.read(links.MAX_FILE_BYTES + 1)
            uploads.append(links.Upload(item.filename or "attachment", item.content_type or "", content))
        text = str(form.get("text") or "").strip()
        problems: list[str] = []
        try:
            answers = None
            if asked.form is not None:
                fields = {k[2:]: str(v) for k, v in form.items() if k.startswith("q.") and isinstance(v, str)}
                tables = {}
                for table in asked.form.tables:
                    sent = form.get(f"table.{table.id}")
                    if sent is not None and not isinstance(sent, str) and sent.filename:
                        tables[table.id] = (sent.filename, await sent.read(links.MAX_FILE_BYTES + 1))
                answers = links.form_answers(asked, fields, tables)
            recorded = await links.answer(engine, token, text, uploads, answers)
        except (DomainError, ValidationError) as exc:
            problems = list(getattr(exc, "problems", []))
            context = {
                "asked": asked,
                "csrf": signer.csrf("link:" + token),
                "error": "Some answers need correcting:" if problems else _one_line(exc),
                "problems": problems,
                "sent": {k: v for k, v in form.items() if isinstance(v, str)},
            }
            status = 400 if problems or isinstance(exc, ValidationError) else 409
            return templates.TemplateResponse(request, "answer.html", context, status_code=status)
        await caught_up(engine, recorded.mandate_id, recorded.result.version)
        return templates.TemplateResponse(
            request, "answered.html", {"asked": asked, "revision": asked.earlier is not None, "token": token}
        )


LANE_HEIGHT, CHART_WIDTH, MARGIN = 40, 900, 4


def _chart(timeline: Any) -> dict[str, Any]:
    """The timeline drawn as SVG (no script, no inline style): a lane per mechanism, its name
    above its bars, a bar per stage placed by its dates, overlapping stages marked, the first
    and last days and each new year on the axis; hidden stages are not drawn."""
    shown = [s for lane in timeline.lanes for s in lane.stages if s.start is not None and s.end is not None]
    if not shown:
        return {"lanes": [], "width": CHART_WIDTH, "height": 0, "ticks": [], "ends": []}
    first, last = min(s.start for s in shown), max(s.end for s in shown)
    days = max((last - first).days + 1, 1)
    scale = (CHART_WIDTH - 2 * MARGIN) / days
    lanes = []
    for number, lane in enumerate(timeline.lanes):
        bars = [
            {
                "x": MARGIN + round((s.start - first).days * scale, 1),
                "width": max(round(((s.end - s.start).days + 1) * scale, 1), 3),
                "overlaps": s.uid in lane.overlapping,
                "label": f"{s.cycle or ''} {s.stage or ''}: {s.start} to {s.end}".strip(),
            }
            for s in lane.stages
            if s.start is not None and s.end is not None
        ]
        lanes.append({"y": number * LANE_HEIGHT, "mechanism": lane.mechanism, "bars": bars})
    years = range(first.year + (first.month > 1 or first.day > 1), last.year + 1)
    ticks = [{"x": MARGIN + round((date(y, 1, 1) - first).days * scale, 1), "label": str(y)} for y in years]
    height = len(lanes) * LANE_HEIGHT + 36
    ends = [{"x": MARGIN, "label": str(first), "anchor": "start"}]
    ends.append({"x": CHART_WIDTH - MARGIN, "label": str(last), "anchor": "end"})
    return {"lanes": lanes, "width": CHART_WIDTH, "height": height, "ticks": ticks, "ends": ends}


def _safe_next(target: str) -> str:
    """Only a path of this console (no other site after signing in)."""
    return target if target.startswith("/") and not target.startswith("//") else "/work"
