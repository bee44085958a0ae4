-- The notifications outbox: reminders, overdue notices and escalations that the
-- mandate workflows decided, waiting to be delivered (delivery is a separate concern).
--
-- due_at           when the notification falls due (e.g. 14 days before a deadline)
-- idempotency_key  "<mandate-id>:<event version>:<recipient>"; a retried or replayed
--                  enqueue of the same notification inserts nothing
-- payload          public facts only (deadline, step title, days before); never response text
-- sent_at/attempts for the delivery side: null/0 until it tries

CREATE TABLE notifications_outbox (
    id              bigserial   PRIMARY KEY,
    mandate_id      text        NOT NULL,
    step_id         text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('reminder', 'overdue', 'escalation')),
    recipient       text        NOT NULL,
    due_at          timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    idempotency_key text        NOT NULL,
    payload         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    sent_at         timestamptz,
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    CONSTRAINT notifications_outbox_idempotency_key UNIQUE (idempotency_key)
);

CREATE INDEX notifications_outbox_unsent ON notifications_outbox (due_at) WHERE sent_at IS NULL;
CREATE INDEX notifications_outbox_mandate ON notifications_outbox (mandate_id, due_at);

GRANT SELECT, INSERT, UPDATE ON notifications_outbox TO mandates_app;
GRANT USAGE ON SEQUENCE notifications_outbox_id_seq TO mandates_app;
