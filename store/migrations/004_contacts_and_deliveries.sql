-- Mail delivery of the notifications outbox.
--
-- contacts          the directory: the e-mail addresses of a party, approver, coordinator or
--                   the secretariat, by the name the plans use ("States parties",
--                   "chief.of.section", "coordinator"); a name may have several addresses.
-- deliveries        one row per e-mail to send: a notice (one outbox row), a daily digest
--                   (several outbox rows of one recipient) or a report to a mandate's
--                   coordinator that a recipient cannot be reached.
--   message_key     what the e-mail is: "outbox-<id>", "digest-<hash>", "report-<hash>"
--   message_id      its RFC 5322 Message-ID, fixed when the row is made, so every re-send
--                   of the same e-mail carries the same id (receivers drop duplicates)
--   state           pending -> sent | failed (5xx, or max attempts) | undeliverable (no contact)
--   attempts        claims so far; a claim moves next_attempt_at one lease ahead, so a
--                   dispatcher that dies after sending makes the row due again later
--   next_attempt_at when a pending row may next be claimed (retry backoff, or lease end)
--   payload         for reports: the reason and the notification they are about
-- delivery_items    the outbox rows a notice or digest carries; each row is in at most one
--                   delivery, and its sent_at is set in the transaction that marks it sent

CREATE TABLE contacts (
    name         text        NOT NULL CHECK (btrim(name) <> ''),
    email        text        NOT NULL CHECK (position('@' IN email) > 1),
    role         text        NOT NULL CHECK (role IN ('party', 'approver', 'coordinator', 'secretariat')),
    display_name text        NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, email)
);

CREATE TABLE deliveries (
    id              bigserial   PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('notice', 'digest', 'report')),
    message_key     text        NOT NULL,
    message_id      text        NOT NULL,
    recipient       text        NOT NULL,
    mandate_id      text,
    state           text        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'sent', 'failed', 'undeliverable')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    payload         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT deliveries_message_key UNIQUE (message_key),
    CONSTRAINT deliveries_message_id UNIQUE (message_id)
);

CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_mandate ON deliveries (mandate_id);

CREATE TABLE delivery_items (
    outbox_id   bigint PRIMARY KEY REFERENCES notifications_outbox (id),
    delivery_id bigint NOT NULL REFERENCES deliveries (id)
);

CREATE INDEX delivery_items_delivery ON delivery_items (delivery_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON contacts TO mandates_app;
GRANT SELECT, INSERT, UPDATE ON deliveries, delivery_items TO mandates_app;
GRANT USAGE ON SEQUENCE deliveries_id_seq TO mandates_app;
