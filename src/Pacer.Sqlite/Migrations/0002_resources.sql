-- Pacer schema, version 2: resource-aware admission.
-- Jobs gain the state 'waiting' (due, but held back by a resource) with what they wait for; resource states, queue
-- pauses and the HTTP conditional-request cache get tables of their own.
--
-- SQLite cannot change a CHECK constraint in place, so pacer_jobs is rebuilt: copy, drop, rename, re-index. The
-- AUTOINCREMENT high-water mark is carried over so that ids of jobs the cleaner deleted are never reused.

CREATE TABLE pacer_jobs_v2 (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,
    queue            TEXT    NOT NULL,
    priority         INTEGER NOT NULL,
    args             TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('scheduled', 'available', 'waiting', 'running', 'retryable', 'completed', 'cancelled', 'discarded')),
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
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    -- While waiting: the resource, why (for operators), and when to look again at the latest.
    waiting_on       TEXT,
    wait_reason      TEXT,
    wait_until       INTEGER
) STRICT;

INSERT INTO pacer_jobs_v2 (id, kind, queue, priority, args, state, attempt, max_attempts, scheduled_at, created_at, attempted_at,
    finalized_at, timeout_ticks, tags, claims, unique_key, errors, trace_parent, lease_token, lease_owner, lease_expires_at, cancel_requested)
SELECT id, kind, queue, priority, args, state, attempt, max_attempts, scheduled_at, created_at, attempted_at,
    finalized_at, timeout_ticks, tags, claims, unique_key, errors, trace_parent, lease_token, lease_owner, lease_expires_at, cancel_requested
FROM pacer_jobs;

-- Keep the larger of the old table's high-water mark and what the copy set (no row at all if the copy was empty).
INSERT INTO sqlite_sequence (name, seq)
SELECT 'pacer_jobs_v2', seq FROM sqlite_sequence
WHERE name = 'pacer_jobs' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'pacer_jobs_v2');
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'pacer_jobs'), 0))
WHERE name = 'pacer_jobs_v2';

DROP TABLE pacer_jobs;
ALTER TABLE pacer_jobs_v2 RENAME TO pacer_jobs;

-- The indexes of version 1, unchanged (the WHERE of pacer_jobs_fetch must stay word for word the fetch query's).
CREATE INDEX pacer_jobs_fetch ON pacer_jobs (queue, priority DESC, scheduled_at, id)
    WHERE state IN ('available', 'scheduled', 'retryable');
CREATE INDEX pacer_jobs_waiting ON pacer_jobs (scheduled_at)
    WHERE state IN ('scheduled', 'retryable');
CREATE INDEX pacer_jobs_lease ON pacer_jobs (lease_expires_at)
    WHERE state = 'running';
CREATE INDEX pacer_jobs_finalized ON pacer_jobs (finalized_at)
    WHERE state IN ('completed', 'cancelled', 'discarded');
CREATE UNIQUE INDEX pacer_jobs_unique_key ON pacer_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state NOT IN ('completed', 'cancelled', 'discarded');

-- Waking the jobs that wait on a resource, in dispatch order.
CREATE INDEX pacer_jobs_waiting_on ON pacer_jobs (waiting_on, priority DESC, scheduled_at, id)
    WHERE state = 'waiting';
-- The scheduler: waiting jobs whose time to look again has come.
CREATE INDEX pacer_jobs_wait_until ON pacer_jobs (wait_until)
    WHERE state = 'waiting';

-- One row per resource or partition that has state (rate limit arrival times, quota used, breaker, pause).
CREATE TABLE pacer_resources (
    name       TEXT    NOT NULL PRIMARY KEY,
    state      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Queues paused by an operator.
CREATE TABLE pacer_queues (
    name       TEXT    NOT NULL PRIMARY KEY,
    paused     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Conditional-request cache: the last 200 response with a validator, by a hash of method, URL and credentials.
CREATE TABLE pacer_http_cache (
    key           TEXT    NOT NULL PRIMARY KEY,
    url           TEXT    NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    status        INTEGER NOT NULL,
    headers       TEXT    NOT NULL,
    body          BLOB    NOT NULL,
    stored_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
