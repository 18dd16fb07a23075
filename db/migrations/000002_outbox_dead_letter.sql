-- The outbox gets a dead letter, and delivered rows can be pruned (issue 12).
--
-- An entry that failed every allowed delivery is marked dead_at: the relay skips it until an
-- operator puts it back (npm run outbox -- redeliver), which clears dead_at and the attempts.
-- The kind is checked by the application's effect registry (runtime/effects/registry.ts) instead
-- of a list here, so that a new effect is one entry in code; the column only keeps its shape.

ALTER TABLE outbox ADD COLUMN dead_at timestamptz;
ALTER TABLE outbox ADD CONSTRAINT outbox_dead_or_delivered CHECK (dead_at IS NULL OR delivered_at IS NULL);

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind ~ '^[a-z][a-z0-9_]{1,62}$');

DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (available_at, id) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (id) WHERE dead_at IS NOT NULL;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
