"""Access: the person behind an update that steers a mandate, authenticated.

The model (README, "Access"):

- ``MANDATES_IDENTITIES`` names a JSON file that the worker reads: each identity is
  a person, the roles they hold (approver roles such as ``chief.of.section``, the
  consulted parties they speak for) and a personal token::

      {"identities": [
        {"person": "a.khan", "roles": ["chief.of.section"], "token": "<43 random chars>"}
      ]}

- A caller keeps their own token in a file only they can read,
  ``MANDATES_IDENTITY_TOKEN_FILE``. Every client made by ``connect_temporal`` then
  signs each update it sends: the ``mandates-caller`` header holds the token's id,
  a timestamp and an HMAC-SHA256, keyed by the token, over (workflow id, update
  name, update id, the name acted as, timestamp). The token itself never leaves
  the caller's machine and is not in any history.

- On the worker, ``CallerCheck`` (a worker interceptor, given the identities at
  construction) runs before each update's own validator: it finds the identity by
  the token id, recomputes the HMAC, requires the timestamp within
  ``MAX_SKEW`` of the workflow's time, and requires the name acted as (``by`` of
  approve/reject/complete/extend/withdraw, ``party`` of respond) to be the
  person or one of their roles. Anything else is refused at once with the reason
  (``ApplicationError`` of type ``caller_refused``); nothing enters the history.
  The check is pure (HMAC, no I/O, ``workflow.now()``), so it may run in the
  workflow sandbox.

Without ``MANDATES_IDENTITIES`` the worker checks nothing and the typed name
(``--as``) is recorded, as before: the dev default.
"""

from __future__ import annotations

import base64
import contextvars
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import temporalio.client
import temporalio.worker
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ApplicationError

from config.settings import SettingsInvalid

HEADER = "mandates-caller"
MAX_SKEW = timedelta(minutes=10)
MIN_TOKEN_LENGTH = 24
REFUSED = "caller_refused"
# The field of each update's request that names who acts (recorded as the actor).
ACTING_AS: Mapping[str, str | tuple[str, ...]] = {
    "respond": ("by", "party"),  # the one recording it on the party's behalf, or the party
    "approve": "by",
    "reject": "by",
    "complete_task": "by",
    "extend_deadline": "by",
    "withdraw": "by",
    "start:FollowedParagraphWorkflow": "by",
    "start:ReviewsImportWorkflow": "by",
}


@dataclasses.dataclass(frozen=True)
class Identity:
    """A person and the roles they hold; a ``delegate`` (the web console) signs for the
    people it has authenticated, in their name and roles, never in its own."""

    person: str
    roles: frozenset[str] = frozenset()
    delegate: bool = False

    def may_act_as(self, name: str) -> bool:
        return name == self.person or name in self.roles

    def names(self) -> frozenset[str]:
        """The person and every role: each name they may act as."""
        return self.roles | {self.person}


@dataclasses.dataclass(frozen=True)
class Directory:
    """The identities by token id, with the tokens that key their signatures."""

    by_token_id: Mapping[str, tuple[bytes, Identity]]
    passwords: Mapping[str, str] = dataclasses.field(default_factory=dict)  # person -> password hash

    @classmethod
    def of(cls, entries: Mapping[str, Identity], passwords: Mapping[str, str] | None = None) -> Directory:
        """From ``{token: identity}`` (and ``{person: password hash}`` for the console)."""
        return cls({token_id(t): (t.encode(), identity) for t, identity in entries.items()}, passwords or {})

    def signed_in(self, person: str, password: str) -> Identity | None:
        """The person, if ``password`` is theirs (the console's sign-in); None otherwise."""
        stored = self.passwords.get(person)
        identity = self.person(person)
        if stored is None or identity is None:
            check_password("scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA", password)  # (same time either way)
            return None
        return identity if check_password(stored, password) else None

    def delegate_token(self) -> str | None:
        """The token of the directory's delegate (the web console), if it has one."""
        return next((t.decode() for t, i in self.by_token_id.values() if i.delegate), None)

    def person(self, name: str) -> Identity | None:
        """The identity of a person (not a delegate) by name."""
        return next(
            (i for _, i in self.by_token_id.values() if i.person == name and not i.delegate),
            None,
        )


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64), for an identity's ``password_hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    encode = base64.b64encode
    return f"scrypt$16384$8$1${encode(salt).decode()}${encode(digest).decode()}"


def check_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or int(n) > 2**20:
            return False
        found = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
        return hmac.compare_digest(found, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


def token_id(token: str) -> str:
    """A public name for a token (it reveals nothing of the token)."""
    return hashlib.sha256(b"mandates-token-id|" + token.encode()).hexdigest()[:16]


def _message(
    workflow_id: str, update: str, update_id: str, acting_as: str, digest: str, at: str, on_behalf_of: str
) -> bytes:
    parts = ["mandates-caller-v2", workflow_id, update, update_id, acting_as, digest, at, on_behalf_of]
    return "\x1f".join(parts).encode()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def args_digest(args: Sequence[Any]) -> str:
    """SHA-256 of the request's arguments as canonical JSON: the signature covers what is
    asked, not only who asks (a header copied onto other arguments does not fit them)."""
    text = json.dumps([_jsonable(a) for a in args], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def acting_as(update: str, args: Sequence[Any]) -> str:
    """The name an update's request acts as ('' when the update names nobody)."""
    fields = ACTING_AS.get(update)
    if fields is None or not args:
        return ""
    request = args[0]
    for field in (fields,) if isinstance(fields, str) else fields:
        value = request.get(field) if isinstance(request, Mapping) else getattr(request, field, None)
        if isinstance(value, str) and value:
            return value
    return ""


def caller_header(
    token: str,
    *,
    workflow_id: str,
    update: str,
    update_id: str,
    args: Sequence[Any],
    at: datetime,
    on_behalf_of: str | None = None,
) -> Payload:
    """The signed header a client attaches to an update (or, ``update`` = ``start:<type>``,
    to the start of a workflow). ``on_behalf_of``: the person a delegate signs for."""
    stamp = at.astimezone(UTC).isoformat()
    mac = hmac.new(
        token.encode(),
        _message(
            workflow_id,
            update,
            update_id,
            acting_as(update, args),
            args_digest(args),
            stamp,
            on_behalf_of or "",
        ),
        hashlib.sha256,
    ).hexdigest()
    body: dict[str, Any] = {"v": 2, "kid": token_id(token), "at": stamp, "mac": mac}
    if on_behalf_of is not None:
        body["for"] = on_behalf_of
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(body).encode())


def check_caller(
    directory: Directory,
    *,
    workflow_id: str,
    update: str,
    update_id: str,
    args: Sequence[Any],
    headers: Mapping[str, Payload],
    now: datetime,
) -> tuple[Identity | None, str | None]:
    """The identity behind an update, or why it is refused: ``(identity, None)`` or
    ``(None, reason)``. Pure: safe in a workflow validator."""
    payload = headers.get(HEADER)
    if payload is None:
        return None, (
            "an authenticated caller is required (set MANDATES_IDENTITY_TOKEN_FILE to your token file)"
        )
    try:
        body = json.loads(payload.data)
        kid, stamp, mac = str(body["kid"]), str(body["at"]), str(body["mac"])
        if body.get("v") != 2:
            return None, "the caller header is of an older client: update the mandates client"
        for_person = body.get("for")
        at = datetime.fromisoformat(stamp)
        if for_person is not None and not isinstance(for_person, str):
            raise TypeError(for_person)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, "the caller header is malformed"
    known = directory.by_token_id.get(kid)
    if known is None:
        return None, "the caller's token is not in the identities file"
    token, identity = known
    name = acting_as(update, args)
    message = _message(workflow_id, update, update_id, name, args_digest(args), stamp, for_person or "")
    expected = hmac.new(token, message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        return None, "the caller's signature does not match this request"
    if at.tzinfo is None or abs(now - at) > MAX_SKEW:
        return None, f"the caller's signature is stale or from the future (clock skew over {MAX_SKEW})"
    if for_person is not None:
        if not identity.delegate:
            return None, f"{identity.person} may not sign for others"
        represented = directory.person(for_person)
        if represented is None and update == "respond" and name == for_person:
            # a consulted party answering through its personal link, which the delegate checked
            represented = Identity(for_person, frozenset({for_person}))
        if represented is None:
            return None, f"{for_person!r} is not in the identities file"
        identity = represented
    elif identity.delegate:
        return None, f"{identity.person} signs only for the people it has authenticated"
    if name and not identity.may_act_as(name):
        roles = ", ".join(sorted(identity.roles)) or "none"
        return None, f"{identity.person} may not act as {name!r} (roles: {roles})"
    return identity, None


# --- the worker side --------------------------------------------------------------


STARTED_BY_CALLERS = frozenset({"MandateWorkflow", "FollowedParagraphWorkflow", "ReviewsImportWorkflow"})
"""Workflows a client starts (the others run as their children): each start needs a caller."""


def _refuse(reason: str) -> ApplicationError:
    return ApplicationError(f"not authorised: {reason}", type=REFUSED, non_retryable=True)


def _authorise(operation: str, args: Sequence[Any], identity: Identity) -> None:
    """Ask the workflow whether this caller may do this (its ``authorise(operation, args,
    names)`` returns the reason it may not, or None): who may do what is the mandate's."""
    instance = workflow.instance()
    authorise = getattr(instance, "authorise", None)
    if authorise is not None:
        reason = authorise(operation, args, identity.person, identity.names())
        if reason is not None:
            raise _refuse(reason)


class _CallerCheckInbound(temporalio.worker.WorkflowInboundInterceptor):
    directory: ClassVar[Directory]

    def _caller(self, operation: str, operation_id: str, args: Sequence[Any], headers: Any) -> Identity:
        identity, reason = check_caller(
            self.directory,
            workflow_id=workflow.info().workflow_id,
            update=operation,
            update_id=operation_id,
            args=args,
            headers=headers,
            now=workflow.now(),
        )
        if reason is not None or identity is None:
            raise _refuse(reason or "no caller")
        return identity

    async def execute_workflow(self, input: temporalio.worker.ExecuteWorkflowInput) -> Any:
        info = workflow.info()
        fresh = info.parent is None and info.continued_run_id is None
        if fresh and info.workflow_type in STARTED_BY_CALLERS and not workflow.unsafe.is_replaying():
            operation = f"start:{info.workflow_type}"
            identity = self._caller(operation, info.workflow_id, input.args, input.headers)
            _authorise(operation, input.args, identity)
        return await super().execute_workflow(input)

    def handle_update_validator(self, input: temporalio.worker.HandleUpdateInput) -> None:
        identity = self._caller(input.update, input.id, input.args, input.headers)
        _authorise(input.update, input.args, identity)
        super().handle_update_validator(input)


class CallerCheck(temporalio.worker.Interceptor):
    """Worker interceptor: every update needs a caller the directory vouches for.

    It runs before the update's own validator, so only updates with a validator are
    checked; every update of the engine has one.
    """

    def __init__(self, directory: Directory) -> None:
        self._inbound = type("CallerCheckInbound", (_CallerCheckInbound,), {"directory": directory})

    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[temporalio.worker.WorkflowInboundInterceptor]:
        return self._inbound


# --- the client side ----------------------------------------------------------------


class TokenBook:
    """The tokens of several people (a directory file the caller may read, as the dev stack's):
    each request is signed with the token of the person acting, or of one who holds the role
    acted as; a start (acting as no one) with the default person's."""

    def __init__(self, directory: Directory, default_person: str | None = None) -> None:
        self._entries = [
            (token.decode(), identity)
            for token, identity in directory.by_token_id.values()
            if not identity.delegate
        ]
        self._default = default_person

    def token_for(self, acting: str) -> str | None:
        name = acting or self._default
        if not name:
            return None
        for token, identity in self._entries:
            if identity.person == name:
                return token
        if self._default and name != self._default:
            own = self.token_for(self._default)
            holder = next((i for _, i in self._entries if i.person == self._default), None)
            if own is not None and holder is not None and holder.may_act_as(name):
                return own
        holder = next((token for token, identity in self._entries if identity.may_act_as(name)), None)
        # nobody here may act so: sign as the default person, so that the refusal names the rule
        return holder if holder is not None or name == self._default else self.token_for("")


ON_BEHALF_OF: contextvars.ContextVar[str | None] = contextvars.ContextVar("on_behalf_of", default=None)
"""The person a delegate's client signs for, in the task that sends the request (the console
sets it per request, for the person signed in or the party whose link was opened)."""


class _SigningOutbound(temporalio.client.OutboundInterceptor):
    def __init__(
        self, next: temporalio.client.OutboundInterceptor, token: str | TokenBook, delegate: bool
    ) -> None:
        super().__init__(next)
        self._token = token
        self._delegate = delegate

    def _token_for(self, operation: str, args: Sequence[Any]) -> str | None:
        if isinstance(self._token, TokenBook):
            return self._token.token_for(acting_as(operation, args))
        return self._token

    def _for(self) -> str | None:
        if not self._delegate:
            return None
        person = ON_BEHALF_OF.get()
        if person is None:
            raise RuntimeError("a delegate signs only for someone (ON_BEHALF_OF is not set)")
        return person

    async def start_workflow(
        self, input: temporalio.client.StartWorkflowInput
    ) -> temporalio.client.WorkflowHandle[Any, Any]:
        operation = f"start:{input.workflow}"
        token = self._token_for(operation, input.args)
        if token is None:
            return await super().start_workflow(input)
        header = caller_header(
            token,
            workflow_id=input.id,
            update=operation,
            update_id=input.id,
            args=input.args,
            at=datetime.now(UTC),
            on_behalf_of=self._for(),
        )
        return await super().start_workflow(
            dataclasses.replace(input, headers={**input.headers, HEADER: header})
        )

    async def start_workflow_update(
        self, input: temporalio.client.StartWorkflowUpdateInput
    ) -> temporalio.client.WorkflowUpdateHandle[Any]:
        token = self._token_for(input.update, input.args)
        if token is None:
            return await super().start_workflow_update(input)
        update_id = input.update_id or str(uuid.uuid4())
        header = caller_header(
            token,
            workflow_id=input.id,
            update=input.update,
            update_id=update_id,
            args=input.args,
            at=datetime.now(UTC),
            on_behalf_of=self._for(),
        )
        signed = dataclasses.replace(input, update_id=update_id, headers={**input.headers, HEADER: header})
        return await super().start_workflow_update(signed)


class CallerSigning(temporalio.client.Interceptor):
    """Client interceptor: sign every update, and every start, with the caller's token."""

    def __init__(self, token: str | TokenBook, *, delegate: bool = False) -> None:
        self._token = token
        self._delegate = delegate  # sign for ON_BEHALF_OF (the console's client)

    def intercept_client(
        self, next: temporalio.client.OutboundInterceptor
    ) -> temporalio.client.OutboundInterceptor:
        return _SigningOutbound(next, self._token, self._delegate)


# --- files --------------------------------------------------------------------------


def load_directory(path: Path) -> Directory:
    """The identities file (``MANDATES_IDENTITIES``).

    Raises:
        SettingsInvalid: one line naming MANDATES_IDENTITIES and what is wrong.
    """

    def bad(why: str) -> SettingsInvalid:
        return SettingsInvalid(f"invalid setting MANDATES_IDENTITIES: {path}: {why}")

    try:
        if path.stat().st_mode & 0o004:
            raise bad(f"readable by every user; it holds tokens: chmod o-r {path}")
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise bad(f"cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise bad(f"not JSON: {exc}") from None
    entries = document.get("identities") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise bad('expected {"identities": [{"person": ..., "roles": [...], "token": ...}, ...]}')
    found: dict[str, Identity] = {}
    passwords: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise bad(f"identity {number} is not an object")
        person, roles, token = entry.get("person"), entry.get("roles", []), entry.get("token")
        delegate = entry.get("delegate", False)
        if not isinstance(delegate, bool):
            raise bad(f"the delegate flag of identity {number} is not true or false")
        password_hash = entry.get("password_hash")
        if password_hash is not None and not (
            isinstance(password_hash, str) and password_hash.startswith("scrypt$")
        ):
            raise bad(f"the password_hash of identity {number} is not a scrypt hash")
        if isinstance(password_hash, str) and isinstance(person, str):
            passwords[person.strip()] = password_hash
        if not isinstance(person, str) or not person.strip():
            raise bad(f"identity {number} has no person")
        if not isinstance(roles, list) or not all(isinstance(r, str) and r.strip() for r in roles):
            raise bad(f"the roles of {person} are not a list of names")
        if not isinstance(token, str) or len(token.strip()) < MIN_TOKEN_LENGTH:
            raise bad(f"the token of {person} is missing or shorter than {MIN_TOKEN_LENGTH} characters")
        if token.strip() in found:
            raise bad(f"the token of {person} is also another identity's")
        found[token.strip()] = Identity(person.strip(), frozenset(r.strip() for r in roles), delegate)
    return Directory.of(found, passwords)


def load_token(path: Path) -> str:
    """The caller's token (``MANDATES_IDENTITY_TOKEN_FILE``): its first line.

    Raises:
        SettingsInvalid: one line naming MANDATES_IDENTITY_TOKEN_FILE and what is wrong.
    """

    def bad(why: str) -> SettingsInvalid:
        return SettingsInvalid(f"invalid setting MANDATES_IDENTITY_TOKEN_FILE: {path}: {why}")

    try:
        if path.stat().st_mode & 0o077:
            raise bad(f"readable by others; a token is personal: chmod 600 {path}")
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as exc:
        raise bad(f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise bad("not text") from None
    if not lines or len(lines[0]) < MIN_TOKEN_LENGTH:
        raise bad(f"no token of at least {MIN_TOKEN_LENGTH} characters on its first line")
    return lines[0]


DEV_ROLES = ("coordinator", "secretariat", "chief.of.section", "legal-affairs")
"""The roles of the default plans that the dev stack's own person holds."""
CONSOLE = "console"
"""The web console's identity: a delegate that signs for the people it signs in."""


def write_dev_identities(path: Path, person: str, parties: Sequence[str], password: str) -> bool:
    """Make the dev stack's identities file (mode 0600) unless it exists: ``person`` (the one
    who runs the stack, signing in to the console with ``password``) in the Secretariat's
    roles of the default plans, each consulted party of them answering for itself, and the
    console. Returns whether it was made."""
    if path.exists():
        return False
    entries = [
        {
            "person": person,
            "roles": list(DEV_ROLES),
            "token": secrets.token_urlsafe(32),
            "password_hash": hash_password(password),
        }
    ]
    entries += [
        {"person": p, "roles": [p], "token": secrets.token_urlsafe(32)} for p in parties if p != person
    ]
    entries.append({"person": CONSOLE, "roles": [], "delegate": True, "token": secrets.token_urlsafe(32)})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump({"identities": entries}, out, indent=2)
        os.chmod(temporary, 0o600)
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    return True


def write_secret(path: Path, text: str) -> None:
    """Write a secret file whole, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
