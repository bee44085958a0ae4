-- Read models: tables derived from the audit log by the projector (projections/).
--
-- Every rm_* table can be rebuilt from the log at any time (`mandates projections
-- rebuild`), so nothing but the projector writes them and nothing in them is the
-- record: the audit log is. Response text is never copied here.
--
-- projection_checkpoints  the last audit position each projection has applied; the
--                         projector moves it in the same transaction as the rows it
--                         writes, so every event is applied exactly once.
-- rm_mandates             one row per mandate (or followed paragraph): where it stands
-- rm_steps                one row per step of a mandate's plan
-- rm_consultation_parties each consulted party of a consultation step, and its status
-- rm_approvals            the approvals given in the current round of an approval step
-- rm_deadlines            every deadline a step was given, and what became of it
-- rm_costs                the effort and cost of each completed task or report

CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projection_checkpoints (name, position) VALUES ('read_models', 0);

CREATE TABLE rm_mandates (
    mandate_id        text        PRIMARY KEY,
    resolution_slug   text        NOT NULL,
    resolution_symbol text        NOT NULL,
    paragraph         integer     NOT NULL,
    verb              text        NOT NULL,
    actor             text        NOT NULL,
    kinds             text[]      NOT NULL DEFAULT '{}',
    confidential      boolean     NOT NULL DEFAULT false,
    reports_to        text,
    report_due        date,
    coordinator       text,
    title             text        NOT NULL DEFAULT '',
    paragraph_text    text,
    status            text        NOT NULL
        CHECK (status IN ('not_started', 'active', 'completed', 'withdrawn', 'followed')),
    current_step      text,
    version           integer     NOT NULL,
    effort_days       numeric     NOT NULL DEFAULT 0,
    started_at        timestamptz,
    ended_at          timestamptz,
    withdrawal_reason text,
    first_position    bigint      NOT NULL,
    last_position     bigint      NOT NULL,
    last_event_at     timestamptz NOT NULL
);
CREATE INDEX rm_mandates_resolution ON rm_mandates (resolution_slug, paragraph);
CREATE INDEX rm_mandates_status ON rm_mandates (status);

CREATE TABLE rm_steps (
    mandate_id      text        NOT NULL,
    step_id         text        NOT NULL,
    ordinal         integer     NOT NULL,
    type            text        NOT NULL,
    title           text        NOT NULL,
    assignee        text,
    body            text,
    approvers       text[]      NOT NULL DEFAULT '{}',
    rule            text,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'completed')),
    attempt         integer     NOT NULL DEFAULT 0,
    planned_due     timestamptz NOT NULL,
    deadline        timestamptz,
    deadline_set_at timestamptz,
    extensions      integer     NOT NULL DEFAULT 0,
    reminders_sent  integer[]   NOT NULL DEFAULT '{}',
    overdue         boolean     NOT NULL DEFAULT false,
    escalations     integer     NOT NULL DEFAULT 0,
    closes_at       timestamptz,
    confidential    boolean     NOT NULL DEFAULT false,
    closed_reason   text,
    rejections      integer     NOT NULL DEFAULT 0,
    rework_comment  text,
    outcome         text,
    completed_at    timestamptz,
    PRIMARY KEY (mandate_id, step_id)
);

CREATE TABLE rm_consultation_parties (
    mandate_id        text        NOT NULL,
    step_id           text        NOT NULL,
    party             text        NOT NULL,
    ordinal           integer     NOT NULL,
    status            text        NOT NULL CHECK (status IN ('awaiting', 'answered')),
    answered_at       timestamptz,
    answered_position bigint,
    non_respondent    boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (mandate_id, step_id, party)
);

CREATE TABLE rm_approvals (
    mandate_id  text        NOT NULL,
    step_id     text        NOT NULL,
    approver    text        NOT NULL,
    ordinal     integer     NOT NULL,
    comment     text        NOT NULL DEFAULT '',
    approved_at timestamptz NOT NULL,
    position    bigint      NOT NULL,
    PRIMARY KEY (mandate_id, step_id, approver)
);

CREATE TABLE rm_deadlines (
    mandate_id      text        NOT NULL,
    step_id         text        NOT NULL,
    set_position    bigint      NOT NULL,
    attempt         integer     NOT NULL,
    deadline        timestamptz NOT NULL,
    set_at          timestamptz NOT NULL,
    previous        timestamptz,
    reason          text,
    set_by          text,
    status          text        NOT NULL
        CHECK (status IN ('open', 'met', 'missed', 'extended', 'cancelled')),
    overdue         boolean     NOT NULL DEFAULT false,
    closed_at       timestamptz,
    closed_position bigint,
    PRIMARY KEY (mandate_id, set_position)
);
CREATE INDEX rm_deadlines_open ON rm_deadlines (mandate_id, step_id) WHERE status = 'open';

CREATE TABLE rm_costs (
    position    bigint      PRIMARY KEY,
    mandate_id  text        NOT NULL,
    step_id     text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    done_by     text        NOT NULL,
    effort_days numeric     NOT NULL,
    cost        numeric     NOT NULL,
    currency    text        NOT NULL
);
CREATE INDEX rm_costs_mandate ON rm_costs (mandate_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON projection_checkpoints TO mandates_app;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE
    ON rm_mandates, rm_steps, rm_consultation_parties, rm_approvals, rm_deadlines, rm_costs
    TO mandates_app;
