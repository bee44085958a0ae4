-- Signed appends, and no way for the application role to write the log but the append functions.
--
-- Until now mandates_app held INSERT on audit_events and UPDATE on audit_head: whoever had its
-- password could insert a correctly chained event and move the head (a forged event passed
-- `audit verify`; a head moved to 2^63-1, or 1000 ahead, stopped every append or left a gap for
-- good). From here:
--
-- * mandates_app keeps SELECT on the log and loses INSERT and UPDATE. It appends only through
--   audit_append and audit_append_group, which run as the schema owner (SECURITY DEFINER, with a
--   fixed search_path) and check everything they write: the shape of the call, each payload's
--   bounds (a JSON object of at most 4 MiB of canonical JSON, nested at most 64 levels), each
--   content hash against the event it is given for (the chain stays the one of
--   migration 001: hash = sha256(prev_hash || content_hash)), versions and idempotency as
--   before (MND01, MND02, MND03). Only an append moves the head.
-- * An append carries the signature of the process that made it (store/signing.py): Ed25519
--   over the content hashes of the events of the call, in order. One call is one commit: the
--   events of one append, or of one group of the group commit. The functions store it in
--   audit_signatures with the positions the commit took, in the same transaction as the
--   events. The database cannot check a signature (the public keys stay with the verifier);
--   `mandates audit verify` does: every event from audit_signed_from.position on must lie in
--   exactly one commit whose signature verifies.
-- * Events written before this migration carry no signature: audit_signed_from records the
--   first position that must be signed, so `verify` reports those as written before signing.
--
-- New SQLSTATEs: MND04 (a content hash is not that of its event), MND05 (a payload out of
-- bounds), MND06 (a malformed call: arrays of different lengths, a group whose events do not
-- follow their streams, half a signature).
--
-- The append functions of migrations 001, 005 and 006 are dropped: they ran with the caller's
-- rights, which no longer include INSERT. A worker of the previous release fails its appends
-- from here (its activities retry) until a worker of this release replaces it.

CREATE TABLE audit_signatures (
    first_position bigint PRIMARY KEY,
    last_position  bigint NOT NULL,
    key_id         text   NOT NULL,
    signature      bytea  NOT NULL,
    CONSTRAINT audit_signatures_range CHECK (last_position >= first_position),
    CONSTRAINT audit_signatures_key_id CHECK (length(key_id) BETWEEN 1 AND 100),
    CONSTRAINT audit_signatures_ed25519 CHECK (octet_length(signature) = 64)
);
CREATE TRIGGER audit_signatures_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_signatures
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_signatures_no_truncate
    BEFORE TRUNCATE ON audit_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE TABLE audit_signed_from (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position  bigint  NOT NULL CHECK (position >= 1)
);
INSERT INTO audit_signed_from (singleton, position) SELECT true, position + 1 FROM audit_head;
CREATE TRIGGER audit_signed_from_fixed
    BEFORE UPDATE OR DELETE ON audit_signed_from
    FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_signed_from_no_truncate
    BEFORE TRUNCATE ON audit_signed_from
    FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

DROP FUNCTION audit_append(
    text, integer, text[], text[], timestamptz[], timestamptz[], text[], text[], text[], text[], text[]
);
DROP FUNCTION audit_append(
    text, integer, timestamptz, text[], text[], timestamptz[], jsonb[], text[], text[], text[], text[], boolean
);
DROP FUNCTION audit_append_group(
    text[], integer[], text[], integer[], timestamptz[], text[], text[], timestamptz[], jsonb[], text[],
    text[], text[], text[]
);

-- A time as store/chain.py writes it (timestamp_text): UTC, microseconds. The driver sends
-- Python's largest and smallest datetimes as infinity and -infinity (and reads them back so).
CREATE FUNCTION audit_time_text(p_moment timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN p_moment = 'infinity' THEN '9999-12-31T23:59:59.999999+00:00'
            WHEN p_moment = '-infinity' THEN '0001-01-01T00:00:00.000000+00:00'
            ELSE to_char(p_moment AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') END
$$;

-- The content hash of store/chain.py (content_hash_of_canonical): sha256 of the canonical JSON
-- document of the event, keys in sorted order, strings escaped as JSON escapes them (to_json
-- escapes exactly what Python's json escapes with ensure_ascii off), times in UTC with
-- microseconds, and the payload as the canonical text the caller hashed.
CREATE FUNCTION audit_content_hash(
    p_stream_id       text,
    p_version         integer,
    p_event_type      text,
    p_actor           text,
    p_occurred_at     timestamptz,
    p_recorded_at     timestamptz,
    p_payload         text,
    p_correlation_id  text,
    p_causation_id    text,
    p_idempotency_key text
) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT encode(sha256(convert_to(
    '{"actor":' || to_json(p_actor)::text
    || ',"causation_id":' || coalesce(to_json(p_causation_id)::text, 'null')
    || ',"correlation_id":' || coalesce(to_json(p_correlation_id)::text, 'null')
    || ',"event_type":' || to_json(p_event_type)::text
    || ',"idempotency_key":' || to_json(p_idempotency_key)::text
    || ',"occurred_at":"' || audit_time_text(p_occurred_at)
    || '","payload":' || p_payload
    || ',"recorded_at":"' || audit_time_text(p_recorded_at)
    || '","stream_id":' || to_json(p_stream_id)::text
    || ',"version":' || p_version::text
    || '}', 'UTF8')), 'hex')
$$;

-- What is wrong with a payload (its text as given, and parsed), or NULL: it must be present, at
-- most 4,194,304 bytes (4 MiB) of text (canonical JSON from store/chain.py), a JSON object, with
-- no value nested deeper than 64 levels (the members of the payload are level 1).
-- store/chain.py checks the same bounds before the call.
CREATE FUNCTION audit_payload_problem(p_text text, p_payload jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT CASE
    WHEN p_payload IS NULL THEN 'is missing'
    WHEN octet_length(p_text) > 4194304 THEN format('is %s bytes long, more than 4194304', octet_length(p_text))
    WHEN jsonb_typeof(p_payload) <> 'object' THEN format('is a JSON %s, not an object', jsonb_typeof(p_payload))
    WHEN jsonb_path_exists(p_payload, 'strict $.**{65}') THEN 'is nested more than 64 levels deep'
END
$$;

-- One append to one stream: as migration 005's (the same checks before the head lock, the same
-- answers), with its payloads as canonical text, and a signature (or none: key id and
-- signature NULL) stored with the events.
CREATE FUNCTION audit_append(
    p_stream_id        text,
    p_expected_version integer,
    p_recorded_at      timestamptz,
    p_event_types      text[],
    p_actors           text[],
    p_occurred_at      timestamptz[],
    p_payloads         text[],
    p_correlation_ids  text[],
    p_causation_ids    text[],
    p_idempotency_keys text[],
    p_content_hashes   text[],
    p_check_keys       boolean,
    p_key_id           text,
    p_signature        bytea,
    OUT first_position bigint,
    OUT prev_hash      text
)
LANGUAGE plpgsql
SECURITY DEFINER
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_count    integer := coalesce(cardinality(p_event_types), 0);
    v_payloads jsonb[];
    v_problem  text;
    v_found    integer;
    v_foreign  boolean;
    v_version  integer;
    v_first    bigint;
    v_hash     text;
    v_prevs    text[];
    v_hashes   text[];
BEGIN
    IF v_count = 0 OR p_stream_id IS NULL OR p_expected_version IS NULL OR p_expected_version < 0
       OR p_recorded_at IS NULL OR p_check_keys IS NULL
       OR coalesce(cardinality(p_actors), 0) <> v_count OR coalesce(cardinality(p_occurred_at), 0) <> v_count
       OR coalesce(cardinality(p_payloads), 0) <> v_count OR coalesce(cardinality(p_correlation_ids), 0) <> v_count
       OR coalesce(cardinality(p_causation_ids), 0) <> v_count
       OR coalesce(cardinality(p_idempotency_keys), 0) <> v_count
       OR coalesce(cardinality(p_content_hashes), 0) <> v_count
       OR (p_key_id IS NULL) <> (p_signature IS NULL)
       OR length(p_key_id) NOT BETWEEN 1 AND 100 OR octet_length(p_signature) <> 64 THEN
        RAISE EXCEPTION 'malformed append: a stream, its version, a time, % events in every array, and a'
                        ' signature (a key id of 1 to 100 characters and 64 bytes) or none', v_count
            USING ERRCODE = 'MND06';
    END IF;

    -- each payload within bounds, each content hash that of its event (a loop of expressions:
    -- cheaper than a query for the one-event appends that are most of them, as cheap for many)
    v_payloads := p_payloads::jsonb[];
    FOR i IN 1 .. v_count LOOP
        v_problem := audit_payload_problem(p_payloads[i], v_payloads[i]);
        IF v_problem IS NOT NULL THEN
            RAISE EXCEPTION 'the payload of event % %', i, v_problem USING ERRCODE = 'MND05';
        END IF;
        IF p_content_hashes[i] IS DISTINCT FROM audit_content_hash(
               p_stream_id, p_expected_version + i, p_event_types[i], p_actors[i], p_occurred_at[i],
               p_recorded_at, p_payloads[i], p_correlation_ids[i], p_causation_ids[i], p_idempotency_keys[i]) THEN
            RAISE EXCEPTION 'the content hash given for event % is not that of the event', i
                USING ERRCODE = 'MND04';
        END IF;
    END LOOP;

    SELECT coalesce(max(version), 0) INTO v_version FROM audit_events WHERE stream_id = p_stream_id;
    IF p_check_keys OR v_version <> p_expected_version THEN
        -- one look-up in the key index per key (see migration 005)
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

    SELECT position + 1, hash INTO v_first, v_hash FROM audit_head FOR UPDATE;
    first_position := v_first;
    prev_hash := v_hash;
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
        SELECT v_first + e.n - 1, p_stream_id, p_expected_version + e.n::integer, e.event_type,
               e.actor, e.occurred_at, p_recorded_at, e.payload, e.correlation_id, e.causation_id,
               e.idempotency_key, e.prev_hash, e.hash
        FROM unnest(p_event_types, p_actors, p_occurred_at, v_payloads, p_correlation_ids,
                    p_causation_ids, p_idempotency_keys, v_prevs, v_hashes)
             WITH ORDINALITY AS e(event_type, actor, occurred_at, payload, correlation_id,
                                  causation_id, idempotency_key, prev_hash, hash, n)
    ), signed AS (
        INSERT INTO audit_signatures (first_position, last_position, key_id, signature)
        SELECT v_first, v_first + v_count - 1, p_key_id, p_signature
        WHERE p_signature IS NOT NULL
    )
    UPDATE audit_head SET position = v_first + v_count - 1, hash = v_hash;
END
$$;

-- One group of the group commit: as migration 006's (all or nothing, MND03 before the lock when
-- a stream is not at its expected version), with its payloads as canonical text, every event
-- checked to be at the next version of an append of the group, and one signature for the
-- whole group.
CREATE FUNCTION audit_append_group(
    p_streams          text[],     -- per append: its stream (each stream at most once)
    p_expected         integer[],  -- per append: the version its stream must be at
    p_stream_ids       text[],     -- per event, in order: its stream
    p_versions         integer[],  -- per event: its version
    p_recorded_at      timestamptz[],  -- per event: when its append was called
    p_event_types      text[],
    p_actors           text[],
    p_occurred_at      timestamptz[],
    p_payloads         text[],
    p_correlation_ids  text[],
    p_causation_ids    text[],
    p_idempotency_keys text[],
    p_content_hashes   text[],
    p_key_id           text,
    p_signature        bytea,
    OUT first_position bigint,
    OUT prev_hash      text
)
LANGUAGE plpgsql
SECURITY DEFINER
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_count    integer := coalesce(cardinality(p_event_types), 0);
    v_payloads jsonb[];
    v_event    bigint;
    v_problem  text;
    v_moved    integer;
    v_first    bigint;
    v_hash     text;
    v_prevs    text[];
    v_hashes   text[];
BEGIN
    IF v_count = 0 OR coalesce(cardinality(p_streams), 0) = 0
       OR coalesce(cardinality(p_expected), 0) <> cardinality(p_streams)
       OR (SELECT count(DISTINCT s) FROM unnest(p_streams) AS s) <> cardinality(p_streams)
       OR coalesce(cardinality(p_stream_ids), 0) <> v_count OR coalesce(cardinality(p_versions), 0) <> v_count
       OR coalesce(cardinality(p_recorded_at), 0) <> v_count OR coalesce(cardinality(p_actors), 0) <> v_count
       OR coalesce(cardinality(p_occurred_at), 0) <> v_count OR coalesce(cardinality(p_payloads), 0) <> v_count
       OR coalesce(cardinality(p_correlation_ids), 0) <> v_count
       OR coalesce(cardinality(p_causation_ids), 0) <> v_count
       OR coalesce(cardinality(p_idempotency_keys), 0) <> v_count
       OR coalesce(cardinality(p_content_hashes), 0) <> v_count
       OR (p_key_id IS NULL) <> (p_signature IS NULL)
       OR length(p_key_id) NOT BETWEEN 1 AND 100 OR octet_length(p_signature) <> 64 THEN
        RAISE EXCEPTION 'malformed group: distinct streams, % events in every per-event array, and a'
                        ' signature (a key id of 1 to 100 characters and 64 bytes) or none', v_count
            USING ERRCODE = 'MND06';
    END IF;
    -- each event at the next version of its stream, after the version its append expects
    SELECT e.n INTO v_event
    FROM (SELECT u.stream_id, u.version, u.n,
                 row_number() OVER (PARTITION BY u.stream_id ORDER BY u.n) AS k
          FROM unnest(p_stream_ids, p_versions) WITH ORDINALITY AS u(stream_id, version, n)) AS e
    LEFT JOIN unnest(p_streams, p_expected) AS a(stream_id, expected) ON a.stream_id = e.stream_id
    WHERE a.expected IS NULL OR a.expected < 0 OR e.version IS DISTINCT FROM a.expected + e.k
    ORDER BY e.n LIMIT 1;
    IF v_event IS NOT NULL THEN
        RAISE EXCEPTION 'malformed group: event % is not at the next version of an append of the group', v_event
            USING ERRCODE = 'MND06';
    END IF;

    -- each payload within bounds, each content hash that of its event
    v_payloads := p_payloads::jsonb[];
    FOR i IN 1 .. v_count LOOP
        v_problem := audit_payload_problem(p_payloads[i], v_payloads[i]);
        IF v_problem IS NOT NULL THEN
            RAISE EXCEPTION 'the payload of event % %', i, v_problem USING ERRCODE = 'MND05';
        END IF;
        IF p_content_hashes[i] IS DISTINCT FROM audit_content_hash(
               p_stream_ids[i], p_versions[i], p_event_types[i], p_actors[i], p_occurred_at[i],
               p_recorded_at[i], p_payloads[i], p_correlation_ids[i], p_causation_ids[i], p_idempotency_keys[i]) THEN
            RAISE EXCEPTION 'the content hash given for event % is not that of the event', i
                USING ERRCODE = 'MND04';
        END IF;
    END LOOP;

    -- one look-up in the (stream_id, version) index per append
    SELECT count(*) INTO v_moved
    FROM unnest(p_streams, p_expected) AS a(stream_id, expected)
    WHERE (SELECT coalesce(max(e.version), 0) FROM audit_events AS e WHERE e.stream_id = a.stream_id)
          <> a.expected;
    IF v_moved > 0 THEN
        RAISE EXCEPTION '% of the group''s streams are not at their expected version', v_moved
            USING ERRCODE = 'MND03';
    END IF;

    SELECT position + 1, hash INTO v_first, v_hash FROM audit_head FOR UPDATE;
    first_position := v_first;
    prev_hash := v_hash;
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
        SELECT v_first + e.n - 1, e.stream_id, e.version, e.event_type, e.actor, e.occurred_at,
               e.recorded_at, e.payload, e.correlation_id, e.causation_id, e.idempotency_key,
               e.prev_hash, e.hash
        FROM unnest(p_stream_ids, p_versions, p_recorded_at, p_event_types, p_actors, p_occurred_at,
                    v_payloads, p_correlation_ids, p_causation_ids, p_idempotency_keys, v_prevs, v_hashes)
             WITH ORDINALITY AS e(stream_id, version, recorded_at, event_type, actor, occurred_at, payload,
                                  correlation_id, causation_id, idempotency_key, prev_hash, hash, n)
    ), signed AS (
        INSERT INTO audit_signatures (first_position, last_position, key_id, signature)
        SELECT v_first, v_first + v_count - 1, p_key_id, p_signature
        WHERE p_signature IS NOT NULL
    )
    UPDATE audit_head SET position = v_first + v_count - 1, hash = v_hash;
END
$$;

-- The functions resolve names in the schema that holds the log (pg_catalog first, pg_temp last:
-- a caller's temporary table cannot stand in for one of the log's).
DO $$
DECLARE
    v_schema text := (SELECT n.nspname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
                      WHERE c.oid = 'audit_events'::regclass);
BEGIN
    EXECUTE format('ALTER FUNCTION audit_append(text, integer, timestamptz, text[], text[], timestamptz[],'
                   ' text[], text[], text[], text[], text[], boolean, text, bytea)'
                   ' SET search_path = pg_catalog, %I, pg_temp', v_schema);
    EXECUTE format('ALTER FUNCTION audit_append_group(text[], integer[], text[], integer[], timestamptz[],'
                   ' text[], text[], timestamptz[], text[], text[], text[], text[], text[], text, bytea)'
                   ' SET search_path = pg_catalog, %I, pg_temp', v_schema);
END
$$;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_events FROM mandates_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_head FROM mandates_app;
GRANT SELECT ON audit_events, audit_head, audit_signatures, audit_signed_from TO mandates_app;

REVOKE ALL ON FUNCTION audit_time_text(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_content_hash(
    text, integer, text, text, timestamptz, timestamptz, text, text, text, text
) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_payload_problem(text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_append(
    text, integer, timestamptz, text[], text[], timestamptz[], text[], text[], text[], text[], text[], boolean,
    text, bytea
) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_append_group(
    text[], integer[], text[], integer[], timestamptz[], text[], text[], timestamptz[], text[], text[], text[],
    text[], text[], text, bytea
) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(
    text, integer, timestamptz, text[], text[], timestamptz[], text[], text[], text[], text[], text[], boolean,
    text, bytea
) TO mandates_app;
GRANT EXECUTE ON FUNCTION audit_append_group(
    text[], integer[], text[], integer[], timestamptz[], text[], text[], timestamptz[], text[], text[], text[],
    text[], text[], text, bytea
) TO mandates_app;
