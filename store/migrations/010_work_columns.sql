-- My work in one table: each mandate's row says what its current step is, when it is due and
-- whom it waits on (parties yet to answer, approvers yet to approve, the assignee), so that
-- what waits for a person is read from rm_mandates alone, however many mandates there are.
-- The projector fills them by rebuilding (the read models' shape changes: schema 3).

ALTER TABLE rm_mandates
    ADD COLUMN current_type     text,
    ADD COLUMN current_deadline timestamptz,
    ADD COLUMN waiting_on       text[] NOT NULL DEFAULT '{}';

CREATE INDEX rm_mandates_waiting_on ON rm_mandates USING gin (waiting_on) WHERE status = 'active';
CREATE INDEX rm_mandates_coordinating ON rm_mandates (coordinator) WHERE status = 'active';
CREATE INDEX rm_mandates_listed ON rm_mandates (resolution_slug, paragraph, mandate_id);
