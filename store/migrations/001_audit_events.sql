-- The audit event log: append-only, gapless, hash-chained.
--
-- position  global order; gapless and equal to commit order because every append
--           takes the single audit_head row lock until it commits.
-- version   per stream (mandate), gapless from 1; (stream_id, version) is unique.
-- hash      sha256(prev_hash || content_hash), where content_hash is the sha256 of the
--           canonical JSON of the event's content (store/chain.py); prev_hash of the first
--           event is 64 zeros.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mandates_app') THEN
        CREATE ROLE mandates_app LOGIN;
    END IF;
END
$$;

CREATE TABLE audit_events (
    position        bigint      PRIMARY KEY,
    stream_id       text        NOT NULL,
    version         integer     NOT NULL CHECK (version >= 1),
    event_type      text        NOT NULL,
    actor           text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    payload         jsonb       NOT NULL,
    correlation_id  text,
    causation_id    text,
    idempotency_key text        NOT NULL,
    prev_hash       text        NOT NULL,
    hash            text        NOT NULL,
    CONSTRAINT audit_events_stream_version UNIQUE (stream_id, version),
    CONSTRAINT audit_events_idempotency_key UNIQUE (idempotency_key),
    CONSTRAINT audit_events_hash UNIQUE (hash)
);

CREATE TABLE audit_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position  bigint  NOT NULL,
    hash      text    NOT NULL
);
INSERT INTO audit_head (singleton, position, hash) VALUES (true, 0, repeat('0', 64));

CREATE FUNCTION audit_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE FUNCTION audit_head_only_forward() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'the audit head only moves forward (% -> %)', OLD.position, NEW.position
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_only_forward();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

-- Append a batch of events to one stream in one statement (one round trip).
-- Raises SQLSTATE MND01 on a version conflict (DETAIL holds the stream's version) and
-- MND02 when the idempotency keys were partly stored or belong to another stream.
-- When every key is already stored, returns the stored events and writes nothing.
CREATE FUNCTION audit_append(
    p_stream_id        text,
    p_expected_version integer,
    p_event_types      text[],
    p_actors           text[],
    p_occurred_at      timestamptz[],
    p_recorded_at      timestamptz[],
    p_payloads         text[],
    p_correlation_ids  text[],
    p_causation_ids    text[],
    p_idempotency_keys text[],
    p_content_hashes   text[]
) RETURNS SETOF audit_events
LANGUAGE plpgsql AS $$
DECLARE
    v_count    integer := cardinality(p_event_types);
    v_position bigint;
    v_hash     text;
    v_prev     text;
    v_version  integer;
    v_found    integer;
    v_first    bigint;
BEGIN
    SELECT position, hash INTO v_position, v_hash FROM audit_head FOR UPDATE;

    SELECT count(*) INTO v_found FROM audit_events WHERE idempotency_key = ANY (p_idempotency_keys);
    IF v_found > 0 THEN
        IF v_found < v_count OR EXISTS (
            SELECT 1 FROM audit_events
            WHERE idempotency_key = ANY (p_idempotency_keys) AND stream_id <> p_stream_id
        ) THEN
            RAISE EXCEPTION 'idempotency keys of this batch are partly stored or belong to another stream'
                USING ERRCODE = 'MND02';
        END IF;
        RETURN QUERY SELECT * FROM audit_events
            WHERE idempotency_key = ANY (p_idempotency_keys) ORDER BY position;
        RETURN;
    END IF;

    SELECT coalesce(max(version), 0) INTO v_version FROM audit_events WHERE stream_id = p_stream_id;
    IF v_version <> p_expected_version THEN
        RAISE EXCEPTION 'stream % is at version %, expected %', p_stream_id, v_version, p_expected_version
            USING ERRCODE = 'MND01', DETAIL = v_version::text;
    END IF;

    v_first := v_position + 1;
    FOR i IN 1 .. v_count LOOP
        v_position := v_position + 1;
        v_prev := v_hash;
        v_hash := encode(sha256(convert_to(v_prev || p_content_hashes[i], 'UTF8')), 'hex');
        INSERT INTO audit_events (
            position, stream_id, version, event_type, actor, occurred_at, recorded_at,
            payload, correlation_id, causation_id, idempotency_key, prev_hash, hash
        ) VALUES (
            v_position, p_stream_id, p_expected_version + i, p_event_types[i], p_actors[i],
            p_occurred_at[i], p_recorded_at[i], p_payloads[i]::jsonb, p_correlation_ids[i],
            p_causation_ids[i], p_idempotency_keys[i], v_prev, v_hash
        );
    END LOOP;
    UPDATE audit_head SET position = v_position, hash = v_hash;

    RETURN QUERY SELECT * FROM audit_events WHERE position >= v_first ORDER BY position;
END
$$;

GRANT SELECT, INSERT ON audit_events TO mandates_app;
GRANT SELECT, UPDATE ON audit_head TO mandates_app;
GRANT EXECUTE ON FUNCTION audit_append(
    text, integer, text[], text[], timestamptz[], timestamptz[], text[], text[], text[], text[], text[]
) TO mandates_app;
