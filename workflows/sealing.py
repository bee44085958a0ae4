"""Messages between the engine's own workflows, sealed so that no client can forge them.

A mandate and its consultation talk through signals (``forwarded`` and ``stop`` to the
consultation, ``consultation_progress`` and ``consultation_refused`` back), a mandate
starts its consultations as children, and both continue as new. A client that reaches
the Temporal frontend could send the same signals or start the same workflows; nothing
in Temporal tells the two apart. So every such message carries a seal (its ``seal``
field: headers are not carried with every kind of message by every server): an
HMAC-SHA256, under a key only the workers hold (``MANDATES_WORKER_KEYS``), over what the
message is (signal, child start or continuation), the workflow it goes to, its name and
its arguments. The worker interceptor below seals what a workflow sends and checks what
it receives:

- an internal signal without a valid seal is dropped before its handler runs (it changes
  nothing, it is logged and counted in ``mandates_refused_messages``), and the workflow
  goes on taking real ones;
- a child or a continuation without a valid seal, and a consultation started on its own,
  fail at once, before they record anything.

Keys rotate like the codec's: the last listed seals, every listed key is accepted. Runs
recorded before seals existed replay as they ran (``SEALING_PATCH``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import temporalio.worker
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from config.codec import KeyRing
from config.identity import args_digest

SEALED_SIGNALS = frozenset({"forwarded", "stop", "consultation_progress", "consultation_refused"})
SEALING_PATCH = "sealed-internal-messages"
REFUSED = "message_refused"
CHILD_ONLY = frozenset({"ConsultationWorkflow"})
"""Workflows that run only as another workflow's child."""


def _unsealed(args: Sequence[Any]) -> list[Any]:
    return [a.model_copy(update={"seal": None}) if getattr(a, "seal", None) is not None else a for a in args]


@dataclass(frozen=True)
class Sealer:
    """Seals and checks messages with the workers' keys."""

    ring: KeyRing

    def _mac(self, kid: str, kind: str, workflow_id: str, name: str, args: Sequence[Any]) -> str:
        message = "\x1f".join(["mandates-seal-v1", kind, workflow_id, name, args_digest(_unsealed(args))])
        return hmac.new(self.ring.keys[kid], message.encode(), hashlib.sha256).hexdigest()

    def seal(self, kind: str, workflow_id: str, name: str, args: Sequence[Any]) -> list[Any]:
        """The arguments, the first sealed (every message of the engine has one, with ``seal``)."""
        if not args or not hasattr(args[0], "seal"):
            return list(args)
        kid = self.ring.active
        mac = self._mac(kid, kind, workflow_id, name, args)
        return [args[0].model_copy(update={"seal": f"{kid}:{mac}"}), *args[1:]]

    def holds(self, kind: str, workflow_id: str, name: str, args: Sequence[Any]) -> bool:
        seal = getattr(args[0], "seal", None) if args else None
        if not isinstance(seal, str):
            return False
        kid, _, mac = seal.partition(":")
        if kid not in self.ring.keys:
            return False
        return hmac.compare_digest(self._mac(kid, kind, workflow_id, name, args), mac)


def _refused_count(kind: str) -> None:
    counter = workflow.metric_meter().create_counter(
        "mandates_refused_messages", "Messages to the engine's workflows refused for want of a valid seal"
    )
    counter.add(1, {"kind": kind})


class _SealingOutbound(temporalio.worker.WorkflowOutboundInterceptor):
    sealer: ClassVar[Sealer]

    def signal_child_workflow(self, input: temporalio.worker.SignalChildWorkflowInput) -> Any:
        input.args = self.sealer.seal("signal", input.child_workflow_id, input.signal, input.args)
        return super().signal_child_workflow(input)

    def signal_external_workflow(self, input: temporalio.worker.SignalExternalWorkflowInput) -> Any:
        input.args = self.sealer.seal("signal", input.workflow_id, input.signal, input.args)
        return super().signal_external_workflow(input)

    def start_child_workflow(self, input: temporalio.worker.StartChildWorkflowInput) -> Any:
        input.args = self.sealer.seal("start", input.id, input.workflow, input.args)
        return super().start_child_workflow(input)

    def continue_as_new(self, input: temporalio.worker.ContinueAsNewInput) -> Any:
        info = workflow.info()
        input.args = self.sealer.seal("continue", info.workflow_id, info.workflow_type, input.args)
        return super().continue_as_new(input)


class _SealingInbound(temporalio.worker.WorkflowInboundInterceptor):
    sealer: ClassVar[Sealer]
    outbound: ClassVar[type[_SealingOutbound]]

    def init(self, outbound: temporalio.worker.WorkflowOutboundInterceptor) -> None:
        super().init(self.outbound(outbound))

    async def execute_workflow(self, input: temporalio.worker.ExecuteWorkflowInput) -> Any:
        info = workflow.info()
        if not workflow.unsafe.is_replaying():  # (a run that started is past these checks)
            if info.continued_run_id is not None:
                if not self.sealer.holds("continue", info.workflow_id, info.workflow_type, input.args):
                    self._refuse("continue", f"{info.workflow_id} was not continued by its own run")
            elif info.parent is not None:
                if not self.sealer.holds("start", info.workflow_id, info.workflow_type, input.args):
                    self._refuse(
                        "start", f"{info.workflow_type} {info.workflow_id} was not started by a mandate"
                    )
            elif info.workflow_type in CHILD_ONLY:
                self._refuse("start", f"a {info.workflow_type} runs only as its mandate's child")
        return await super().execute_workflow(input)

    async def handle_signal(self, input: temporalio.worker.HandleSignalInput) -> None:
        if input.signal in SEALED_SIGNALS and workflow.patched(SEALING_PATCH):
            info = workflow.info()
            if not self.sealer.holds("signal", info.workflow_id, input.signal, input.args):
                workflow.logger.warning(
                    "signal %s to %s dropped: it does not carry the workers' seal",
                    input.signal,
                    info.workflow_id,
                )
                _refused_count("signal")
                return
        await super().handle_signal(input)

    @staticmethod
    def _refuse(kind: str, why: str) -> None:
        workflow.logger.warning("refused: %s", why)
        _refused_count(kind)
        raise ApplicationError(f"refused: {why}", type=REFUSED, non_retryable=True)


class Sealing(temporalio.worker.Interceptor):
    """Worker interceptor: seal what the engine's workflows send each other, check what
    they receive (see the module docstring)."""

    def __init__(self, ring: KeyRing) -> None:
        sealer = Sealer(ring)
        outbound = type("SealingOutbound", (_SealingOutbound,), {"sealer": sealer})
        self._inbound = type("SealingInbound", (_SealingInbound,), {"sealer": sealer, "outbound": outbound})

    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[temporalio.worker.WorkflowInboundInterceptor]:
        return self._inbound
