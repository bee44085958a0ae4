-- The web console: files the parties send with their answers, party links a coordinator
-- revoked, and two kinds of notification: the request that asks a party (or an approver) to
-- act, and the confirmation a party gets when its answer is recorded.
--
-- attachments          one row per distinct content (its SHA-256 is the key the audit event
--                      names); what a party sent is in the log, the bytes are here
-- revoked_party_links  the links (by their id: a hash of the token) that no longer open a
--                      party's answer page, who revoked them and when

CREATE TABLE attachments (
    sha256       text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size         integer     NOT NULL CHECK (size >= 0),
    content_type text        NOT NULL,
    content      bytea       NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (octet_length(content) = size)
);

CREATE TABLE revoked_party_links (
    link_id    text        PRIMARY KEY,
    mandate_id text        NOT NULL,
    step_id    text        NOT NULL,
    party      text        NOT NULL,
    revoked_by text        NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE notifications_outbox DROP CONSTRAINT notifications_outbox_kind_check;
ALTER TABLE notifications_outbox ADD CONSTRAINT notifications_outbox_kind_check
    CHECK (kind IN ('reminder', 'overdue', 'escalation', 'request', 'confirmation'));

GRANT SELECT, INSERT ON attachments TO mandates_app;
GRANT SELECT, INSERT ON revoked_party_links TO mandates_app;
