-- The audit append, set-based and with less work under the log's head lock.
--
-- audit_append(stream, expected version, recorded_at, event arrays..., content hashes,
-- check_keys) appends a batch to one stream in one statement (one round trip), like the
-- function of migration 001, and keeps all of its guarantees: positions gapless and
-- equal to commit order (the audit_head row lock is held from the moment positions are
-- taken until the commit), per-stream versions gapless (expected version -> MND01,
-- DETAIL holds the stream's version), idempotency keys (every key stored -> nothing
-- written; keys partly stored or stored for another stream -> MND02), and the same
-- chain: hash = sha256(prev_hash || content_hash), prev_hash of the first event 64 zeros.
--
-- What differs, and why:
-- * One INSERT ... SELECT FROM unnest(...) for the whole batch instead of one INSERT
--   per event: most of the time of a 100-event append was the 100 statements.
-- * Payloads arrive as jsonb[], so Postgres parses them while binding the call's
--   parameters, before the lock is taken.
-- * The checks run before the lock. They read committed rows, and committed events
--   never change. An append that commits in between with one of this batch's keys, or
--   at one of its versions, makes this INSERT fail on the unique constraint
--   audit_events_idempotency_key or audit_events_stream_version (nothing is written);
--   the caller (store/audit.py) then calls again, and the checks see that append and
--   answer as before.
-- * The keys are looked up only when they can be stored: when the stream is not at the
--   expected version (a repeated append finds the stream moved on by its first
--   success), or when p_check_keys is true. A key stored anyway (reused in another
--   stream, say) makes the INSERT fail on its unique constraint, and the caller calls
--   again with p_check_keys true, which answers as the function of 001 did.
-- * Its statements keep one generic plan each (plan_cache_mode). With the default,
--   PL/pgSQL planned the idempotency probe afresh on every call of a one-event append
--   (the generic plan's estimate, made for an array of unknown length, never won), at
--   about 0.1 ms a call. A generic plan is made once per session, maybe while the log
--   is still empty, so each statement is written to keep to its indexes whatever the
--   sizes: the probe looks each key up in the key index, which suits one key and a
--   hundred alike.
-- * It returns only the first position and the hash the batch links to: the caller
--   has everything else the rows hold and recomputes the links (store/chain.py), so
--   nothing is read back. first_position is NULL when every key was already stored:
--   the caller reads those events by key.
--
-- The function of migration 001 (other argument types) is left as it was for callers
-- of the previous release; store/audit.py no longer calls it.

CREATE FUNCTION audit_append(
    p_stream_id        text,
    p_expected_version integer,
    p_recorded_at      timestamptz,
    p_event_types      text[],
    p_actors           text[],
    p_occurred_at      timestamptz[],
    p_payloads         jsonb[],
    p_correlation_ids  text[],
    p_causation_ids    text[],
    p_idempotency_keys text[],
    p_content_hashes   text[],
    p_check_keys       boolean,
    OUT first_position bigint,
    OUT prev_hash      text
)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_count   integer := cardinality(p_event_types);
    v_found   integer;
    v_foreign boolean;
    v_version integer;
    v_hash    text;
    v_prevs   text[];
    v_hashes  text[];
BEGIN
    SELECT coalesce(max(version), 0) INTO v_version FROM audit_events WHERE stream_id = p_stream_id;
    IF p_check_keys OR v_version <> p_expected_version THEN
        -- one look-up in the key index per key (a subquery per key, so that the cached
        -- plan cannot become a scan of the log)
        SELECT count(k.stream_id), coalesce(bool_or(k.stream_id <> p_stream_id), false)
        INTO v_found, v_foreign
        FROM (SELECT (SELECT e.stream_id FROM audit_events AS e WHERE e.idempotency_key = u.key) AS stream_id
              FROM unnest(p_idempotency_keys) AS u(key)) AS k;
        IF v_found > 0 THEN
            IF v_found < v_count OR v_foreign THEN
                RAISE EXCEPTION 'idempotency keys of this batch are partly stored or belong to another stream'
                    USING ERRCODE = 'MND02';
            END IF;
            RETURN;  -- every key is stored: nothing to write, first_position stays NULL
        END IF;
        IF v_version <> p_expected_version THEN
            RAISE EXCEPTION 'stream % is at version %, expected %', p_stream_id, v_version, p_expected_version
                USING ERRCODE = 'MND01', DETAIL = v_version::text;
        END IF;
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
        SELECT first_position + e.n - 1, p_stream_id, p_expected_version + e.n::integer, e.event_type,
               e.actor, e.occurred_at, p_recorded_at, e.payload, e.correlation_id, e.causation_id,
               e.idempotency_key, e.prev_hash, e.hash
        FROM unnest(p_event_types, p_actors, p_occurred_at, p_payloads, p_correlation_ids,
                    p_causation_ids, p_idempotency_keys, v_prevs, v_hashes)
             WITH ORDINALITY AS e(event_type, actor, occurred_at, payload, correlation_id,
                                  causation_id, idempotency_key, prev_hash, hash, n)
    )
    UPDATE audit_head SET position = first_position + v_count - 1, hash = v_hash;
END
$$;

GRANT EXECUTE ON FUNCTION audit_append(
    text, integer, timestamptz, text[], text[], timestamptz[], jsonb[], text[], text[], text[], text[], boolean
) TO mandates_app;
