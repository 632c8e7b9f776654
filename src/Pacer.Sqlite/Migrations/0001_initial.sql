-- Pacer schema, version 1.
-- Times are INTEGER 100-nanosecond ticks since the Unix epoch, UTC (divide by 10,000,000 for Unix seconds), so a
-- DateTimeOffset round-trips exactly and comparisons in SQL agree with comparisons in .NET.
-- There are no foreign keys on purpose: the cleaner deletes old jobs, while effect and recurring records must outlive them.

CREATE TABLE pacer_jobs (
    -- AUTOINCREMENT: ids are never reused, even after the cleaner deletes the newest jobs, so an id in a log,
    -- an effect record or a page cursor never comes to mean another job.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    queue            TEXT    NOT NULL,
    priority         INTEGER NOT NULL,
    args             TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('scheduled', 'available', 'running', 'retryable', 'completed', 'cancelled', 'discarded')),
    attempt          INTEGER NOT NULL,
    max_attempts     INTEGER NOT NULL,
    scheduled_at     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    attempted_at     INTEGER,
    finalized_at     INTEGER,
    timeout_ticks    INTEGER,
    tags             TEXT    NOT NULL,
    claims           TEXT    NOT NULL,
    unique_key       TEXT,
    errors           TEXT    NOT NULL,
    trace_parent     TEXT,
    lease_token      INTEGER,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Fetch: due jobs of one queue in dispatch order. The WHERE must stay word for word the one in the fetch query,
-- or SQLite will not use this partial index.
CREATE INDEX pacer_jobs_fetch ON pacer_jobs (queue, priority DESC, scheduled_at, id)
    WHERE state IN ('available', 'scheduled', 'retryable');

-- Scheduler: scheduled and retryable jobs by due time, across queues.
CREATE INDEX pacer_jobs_waiting ON pacer_jobs (scheduled_at)
    WHERE state IN ('scheduled', 'retryable');

-- Rescuer: running jobs by lease expiry.
CREATE INDEX pacer_jobs_lease ON pacer_jobs (lease_expires_at)
    WHERE state = 'running';

-- Cleaner and throughput stats: final jobs by finalization time.
CREATE INDEX pacer_jobs_finalized ON pacer_jobs (finalized_at)
    WHERE state IN ('completed', 'cancelled', 'discarded');

-- Unique keys hold while a job is unfinished; once it is final the key is free for a new job.
CREATE UNIQUE INDEX pacer_jobs_unique_key ON pacer_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'cancelled', 'discarded');

-- Effects ledger: one row per effect key, global across jobs.
CREATE TABLE pacer_effects (
    key        TEXT    NOT NULL PRIMARY KEY,
    job_id     INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('started', 'done')),
    attempt    INTEGER NOT NULL,
    result     TEXT,
    started_at INTEGER NOT NULL,
    done_at    INTEGER
) STRICT, WITHOUT ROWID;

-- Recurring slots already enqueued: the primary key makes each slot happen once.
CREATE TABLE pacer_recurring (
    name   TEXT    NOT NULL,
    slot   INTEGER NOT NULL,
    job_id INTEGER NOT NULL,
    PRIMARY KEY (name, slot)
) STRICT, WITHOUT ROWID;

-- Leader leases (maintenance runs on one process at a time).
CREATE TABLE pacer_leaders (
    name       TEXT    NOT NULL PRIMARY KEY,
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
