-- Pacer schema, version 3: recurring schedules registered at run time (kept here so every worker enqueues their slots).
CREATE TABLE pacer_schedules (
    name       TEXT    NOT NULL PRIMARY KEY,
    cron       TEXT    NOT NULL,
    time_zone  TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    args       TEXT    NOT NULL,
    options    TEXT,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
