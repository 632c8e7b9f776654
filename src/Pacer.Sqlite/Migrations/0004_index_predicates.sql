-- Pacer schema, version 4: the partial indexes of version 2, their state conditions written as comparisons.
--
-- SQLite evaluates the WHERE of every partial index for the old and the new row of a write that changes a job's
-- state. It evaluates an IN list of more than two constants through a temporary b-tree that it builds and frees for
-- each statement, so claiming or completing one job built six of them: several times the cost of the write itself.
-- Chains of = and <> select exactly the same rows without that. The queries name the same conditions word for word,
-- or SQLite would not use these indexes.

DROP INDEX pacer_jobs_fetch;
CREATE INDEX pacer_jobs_fetch ON pacer_jobs (queue, priority DESC, scheduled_at, id)
    WHERE state = 'available' OR state = 'scheduled' OR state = 'retryable';

DROP INDEX pacer_jobs_finalized;
CREATE INDEX pacer_jobs_finalized ON pacer_jobs (finalized_at)
    WHERE state = 'completed' OR state = 'cancelled' OR state = 'discarded';

DROP INDEX pacer_jobs_unique_key;
CREATE UNIQUE INDEX pacer_jobs_unique_key ON pacer_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state <> 'completed' AND state <> 'cancelled' AND state <> 'discarded';
