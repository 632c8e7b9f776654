-- Pacer schema, version 3: effect records may expire (IJobEffects keepFor), and the cleaner deletes them then.
--
-- A record without expires_at is kept for good, as every record was before. The index holds only records that expire,
-- so the ledger of keys kept for good costs it nothing.

ALTER TABLE {schema}.pacer_effects ADD COLUMN expires_at timestamptz;

CREATE INDEX pacer_effects_expiry ON {schema}.pacer_effects (expires_at) WHERE expires_at IS NOT NULL;
