-- Group commit: appends to several streams written by one statement, under one head lock.
--
-- audit_append_group(per-append arrays, per-event arrays) writes the appends
-- that reached one AuditStore while another append was being written (store/audit.py).
-- Each append of the group goes to a different stream. The group is all or nothing, and
-- it keeps what audit_append (migration 005) guarantees of each append: positions gapless
-- and in commit order (the head row lock is held from the moment they are taken until the
-- commit), per-stream versions gapless, and the same chain, event after event in the
-- order of the arrays.
--
-- Anything but the plain case fails the whole group with MND03, before the lock: a stream
-- not at its expected version (a conflict, or an idempotent repeat that found its stream
-- moved on). A key stored anyway makes the INSERT fail on its unique constraint. Either
-- way nothing is written, and the caller appends each member of the group alone with
-- audit_append, which answers each as it always did (a conflict for one, the stored
-- events for another, and the others appended).
--
-- Returns the first position of the group and the hash it links to; the caller has
-- everything else and computes the links, as with audit_append.

CREATE FUNCTION audit_append_group(
    p_streams          text[],     -- per append: its stream (each stream at most once)
    p_expected         integer[],  -- per append: the version its stream must be at
    p_stream_ids       text[],     -- per event, in order: its stream
    p_versions         integer[],  -- per event: its version
    p_recorded_at      timestamptz[],  -- per event: when its append was called
    p_event_types      text[],
    p_actors           text[],
    p_occurred_at      timestamptz[],
    p_payloads         jsonb[],
    p_correlation_ids  text[],
    p_causation_ids    text[],
    p_idempotency_keys text[],
    p_content_hashes   text[],
    OUT first_position bigint,
    OUT prev_hash      text
)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_count  integer := cardinality(p_event_types);
    v_moved  integer;
    v_hash   text;
    v_prevs  text[];
    v_hashes text[];
BEGIN
    -- one look-up in the (stream_id, version) index per append
    SELECT count(*) INTO v_moved
    FROM unnest(p_streams, p_expected) AS a(stream_id, expected)
    WHERE (SELECT coalesce(max(e.version), 0) FROM audit_events AS e WHERE e.stream_id = a.stream_id)
          <> a.expected;
    IF v_moved > 0 THEN
        RAISE EXCEPTION '% of the group''s streams are not at their expected version', v_moved
            USING ERRCODE = 'MND03';
    END IF;

    SELECT position + 1, hash INTO first_position, prev_hash FROM audit_head FOR UPDATE;
    v_hash := prev_hash;
    FOR i IN 1 .. v_count LOOP
        v_prevs[i] := v_hash;
        v_hash := encode(sha256(convert_to(v_hash || p_content_hashes[i], 'UTF8')), 'hex');
        v_hashes[i] := v_hash;
    END LOOP;

    WITH appended AS (
        INSERT INTO audit_events (
            position, stream_id, version, event_type, actor, occurred_at, recorded_at,
            payload, correlation_id, causation_id, idempotency_key, prev_hash, hash
        )
        SELECT first_position + e.n - 1, e.stream_id, e.version, e.event_type, e.actor, e.occurred_at,
               e.recorded_at, e.payload, e.correlation_id, e.causation_id, e.idempotency_key,
               e.prev_hash, e.hash
        FROM unnest(p_stream_ids, p_versions, p_recorded_at, p_event_types, p_actors, p_occurred_at,
                    p_payloads, p_correlation_ids, p_causation_ids, p_idempotency_keys, v_prevs, v_hashes)
             WITH ORDINALITY AS e(stream_id, version, recorded_at, event_type, actor, occurred_at, payload,
                                  correlation_id, causation_id, idempotency_key, prev_hash, hash, n)
    )
    UPDATE audit_head SET position = first_position + v_count - 1, hash = v_hash;
END
$$;

GRANT EXECUTE ON FUNCTION audit_append_group(
    text[], integer[], text[], integer[], timestamptz[], text[], text[], timestamptz[], jsonb[], text[],
    text[], text[], text[]
) TO mandates_app;
