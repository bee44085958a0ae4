-- The review calendar: when which review mechanism reviews which State (domain/reviews.py).
--
-- Like every read model, the calendar is derived from the audit log and can be rebuilt from
-- it at any time (projections/reviews.py, its own checkpoint 'reviews'): the calendar's own
-- events (stream 'review-calendar': ReviewScheduled, ReviewChanged, ReviewWithdrawn) and the
-- parties' answers to questionnaires whose tables feed the calendar (ResponseReceived with
-- answers, read with the form of their mandate's plan).
--
-- rm_reviews             one row per review stage (mechanism, State, cycle, stage: review_key),
--                        its days (both included), whether it is confidential, its notes, its
--                        source (an import, or a party's answer) and the audit positions (refs)
-- rm_review_names        each State's and mechanism's name as the calendar first recorded it
-- rm_review_forms        the forms of mandates' steps that feed the calendar or the costs
-- rm_review_costs        the costs of one country review that parties answered, by answer
-- review_import_batches  a staging area, not a record: the events an import asks the worker to
--                        append, by the SHA-256 of their text (which the caller's signed start
--                        names); the worker checks the hash and appends them to the log

-- The keys compare byte by byte (COLLATE "C"), as Python compares strings: the overlap query
-- orders by them and reads each State's stages in the order of its index.
CREATE TABLE rm_reviews (
    review_key    text COLLATE "C" PRIMARY KEY,
    state_key     text COLLATE "C" NOT NULL,
    mechanism_key text COLLATE "C" NOT NULL,
    uid           text    NOT NULL,
    mechanism     text    NOT NULL,
    state         text    NOT NULL,
    cycle         text    NOT NULL,
    stage         text    NOT NULL,
    start_date    date    NOT NULL,
    end_date      date    NOT NULL,
    confidential  boolean NOT NULL DEFAULT false,
    notes         jsonb   NOT NULL DEFAULT '{}',
    source        text    NOT NULL,
    refs          bigint[] NOT NULL DEFAULT '{}',
    CONSTRAINT rm_reviews_days CHECK (end_date >= start_date)
);
-- The overlap query walks each State's stages in order of start (a range per stage).
CREATE INDEX rm_reviews_state_start ON rm_reviews (state_key, start_date) INCLUDE (end_date, mechanism_key);
CREATE INDEX rm_reviews_source ON rm_reviews (source);

CREATE TABLE rm_review_names (
    name_key text PRIMARY KEY,
    display  text NOT NULL
);

CREATE TABLE rm_review_forms (
    mandate_id text NOT NULL,
    step_id    text NOT NULL,
    form       text NOT NULL,
    PRIMARY KEY (mandate_id, step_id)
);

CREATE TABLE rm_review_costs (
    source       text    NOT NULL,
    ordinal      integer NOT NULL,
    mechanism    text    NOT NULL,
    amount       numeric NOT NULL,
    currency     text    NOT NULL,
    party        text    NOT NULL,
    mandate_id   text    NOT NULL,
    step_id      text    NOT NULL,
    question     text    NOT NULL,
    confidential boolean NOT NULL DEFAULT false,
    position     bigint,
    PRIMARY KEY (source, ordinal)
);

CREATE TABLE review_import_batches (
    sha256    text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    events    text        NOT NULL,
    staged_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE review_import_batches ALTER COLUMN events SET STORAGE EXTERNAL;

INSERT INTO projection_checkpoints (name, position) VALUES ('reviews', 0) ON CONFLICT (name) DO NOTHING;

GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE
    ON rm_reviews, rm_review_names, rm_review_forms, rm_review_costs
    TO mandates_app;
GRANT SELECT, INSERT, DELETE ON review_import_batches TO mandates_app;
