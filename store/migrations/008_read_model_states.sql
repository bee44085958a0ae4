-- The projection's own state: each mandate's folded state (domain.state.MandateState as
-- JSON), from which the projector carries on when the next events of that mandate come.
--
-- The read models are written by one path (projections/): take the states of the
-- mandates a batch of events touches (deleting their rows), fold the events into them,
-- write every row of those mandates again. `schema` is the shape of the state the rows
-- were written from: a projector that finds another one rebuilds the read models.

CREATE TABLE rm_mandate_states (
    mandate_id text    PRIMARY KEY,
    state      text    NOT NULL
);
ALTER TABLE rm_mandate_states ALTER COLUMN state SET STORAGE EXTERNAL;

ALTER TABLE projection_checkpoints ADD COLUMN schema integer NOT NULL DEFAULT 0;

GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON rm_mandate_states TO mandates_app;
