-- Pacer schema, version 2: recurring schedules registered at run time (kept here so every worker enqueues their slots).
CREATE TABLE {schema}.pacer_schedules (
    name       text        NOT NULL PRIMARY KEY,
    cron       text        NOT NULL,
    time_zone  text        NOT NULL,
    kind       text        NOT NULL,
    args       text        NOT NULL,
    options    text,
    updated_at timestamptz NOT NULL
);
