-- Pacer schema for PostgreSQL, version 1 (the same model as Pacer.Sqlite's versions 1 and 2 together).
-- {schema} is replaced by the configured schema's quoted name; every name is qualified with it, so the store works
-- whatever search_path a connection has (an application's own connection joining an enqueue, for one).
-- Times are timestamptz (microseconds, UTC); they always come from the engine's clock, never from now().
-- There are no foreign keys on purpose: the cleaner deletes old jobs, while effect and recurring records must outlive them.

CREATE TABLE {schema}.pacer_jobs (
    -- An identity never hands out an id twice, even after the cleaner deletes the newest jobs, so an id in a log,
    -- an effect record or a page cursor never comes to mean another job.
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text        NOT NULL,
    queue            text        NOT NULL,
    priority         integer     NOT NULL,
    -- Arguments are kept as the text the client wrote (jsonb would reorder keys and drop duplicates).
    args             text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('scheduled', 'available', 'waiting', 'running', 'retryable', 'completed', 'cancelled', 'discarded')),
    attempt          integer     NOT NULL,
    max_attempts     integer     NOT NULL,
    scheduled_at     timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    attempted_at     timestamptz,
    finalized_at     timestamptz,
    timeout_ticks    bigint,
    tags             text[]      NOT NULL,
    claims           jsonb       NOT NULL,
    unique_key       text,
    errors           jsonb       NOT NULL,
    trace_parent     text,
    lease_token      bigint,
    lease_owner      text,
    -- Not in any index, so a heartbeat that moves it is a HOT update: no index entry, no work for vacuum beyond the page.
    lease_expires_at timestamptz,
    cancel_requested boolean     NOT NULL DEFAULT false,
    -- While waiting: the resource, why (for operators), and when to look again at the latest.
    waiting_on       text,
    wait_reason      text,
    wait_until       timestamptz
) WITH (
    -- Room on each page for the new version of a row, so heartbeats stay HOT updates.
    fillfactor = 85,
    -- Jobs churn: every job is inserted, updated a few times and deleted. Vacuum after 1% of the table changed,
    -- not the default 20%, so dead rows never pile up to many times the live ones.
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02
);

-- Fetch: due jobs of one queue in dispatch order. The fetch query's WHERE matches this predicate.
CREATE INDEX pacer_jobs_fetch ON {schema}.pacer_jobs (queue, priority DESC, scheduled_at, id)
    WHERE state IN ('available', 'scheduled', 'retryable');

-- Scheduler: scheduled and retryable jobs by due time, across queues.
CREATE INDEX pacer_jobs_due ON {schema}.pacer_jobs (scheduled_at)
    WHERE state IN ('scheduled', 'retryable');

-- Rescuer, running costs and "is anything running?": running jobs are few (the workers' slots). Keyed by id, not by
-- lease expiry, so that extending a lease touches no index.
CREATE INDEX pacer_jobs_running ON {schema}.pacer_jobs (id)
    WHERE state = 'running';

-- Cleaner and throughput stats: final jobs by finalization time.
CREATE INDEX pacer_jobs_finalized ON {schema}.pacer_jobs (finalized_at)
    WHERE state IN ('completed', 'cancelled', 'discarded');

-- Unique keys hold while a job is unfinished; once it is final the key is free for a new job.
CREATE UNIQUE INDEX pacer_jobs_unique_key ON {schema}.pacer_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'cancelled', 'discarded');

-- Waking the jobs that wait on a resource, in dispatch order.
CREATE INDEX pacer_jobs_waiting_on ON {schema}.pacer_jobs (waiting_on, priority DESC, scheduled_at, id)
    WHERE state = 'waiting';

-- The scheduler: waiting jobs whose time to look again has come.
CREATE INDEX pacer_jobs_wait_until ON {schema}.pacer_jobs (wait_until)
    WHERE state = 'waiting';

-- Effects ledger: one row per effect key, global across jobs.
CREATE TABLE {schema}.pacer_effects (
    key        text        NOT NULL PRIMARY KEY,
    job_id     bigint      NOT NULL,
    state      text        NOT NULL CHECK (state IN ('started', 'done')),
    attempt    integer     NOT NULL,
    result     text,
    started_at timestamptz NOT NULL,
    done_at    timestamptz
);

-- Recurring slots already enqueued: the primary key makes each slot happen once.
CREATE TABLE {schema}.pacer_recurring (
    name   text        NOT NULL,
    slot   timestamptz NOT NULL,
    job_id bigint      NOT NULL,
    PRIMARY KEY (name, slot)
);

-- Leader leases (maintenance runs on one process at a time).
CREATE TABLE {schema}.pacer_leaders (
    name       text        NOT NULL PRIMARY KEY,
    owner      text        NOT NULL,
    expires_at timestamptz NOT NULL
);

-- One row per resource or partition that has state (rate limit arrival times, quota used, breaker, pause).
CREATE TABLE {schema}.pacer_resources (
    name       text        NOT NULL PRIMARY KEY,
    state      text        NOT NULL,
    updated_at timestamptz NOT NULL
) WITH (fillfactor = 70);

-- Queues paused by an operator.
CREATE TABLE {schema}.pacer_queues (
    name       text        NOT NULL PRIMARY KEY,
    paused     boolean     NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Conditional-request cache: the last 200 response with a validator, by a hash of method, URL and credentials.
CREATE TABLE {schema}.pacer_http_cache (
    key           text        NOT NULL PRIMARY KEY,
    url           text        NOT NULL,
    etag          text,
    last_modified text,
    status        integer     NOT NULL,
    headers       text        NOT NULL,
    body          bytea       NOT NULL,
    stored_at     timestamptz NOT NULL
);
