-- ledgerflow 004: parked streams, the projectors' dead letters per stream.
--
-- An event a projection cannot apply (its rows break a constraint, a patch
-- finds no row, an event type this binary does not know under the "park"
-- policy) parks its stream for that projection only: the stream's later
-- events for that projection are stored here instead of being applied, in
-- log order, while every other stream and projection keeps moving.
-- `ledgerflow replay-parked` applies them after a fix and unparks the stream.
-- The projector's positions still advance past parked events: nothing is
-- lost, because they are written here in the same transaction.

-- generation: bumped by every writer other than the owning projector that
-- changes the projection's parked set (replay-parked), so the projector's
-- next compare-and-set fails and it re-reads positions and parked streams.
-- unknown_skipped_count: events of types this binary does not know that
-- the projection's policy skipped.
ALTER TABLE projection_checkpoints
    ADD COLUMN generation            bigint NOT NULL DEFAULT 0,
    ADD COLUMN unknown_skipped_count bigint NOT NULL DEFAULT 0;

CREATE TABLE parked_streams (
    projection      text        NOT NULL,
    tenant_id       uuid        NOT NULL,
    stream          text        NOT NULL,
    partition       integer     NOT NULL CHECK (partition >= 0),
    -- the event that could not be applied
    first_offset    bigint      NOT NULL CHECK (first_offset >= 0),
    first_event_id  text        NOT NULL,
    first_type      text        NOT NULL,
    reason          text        NOT NULL,
    sqlstate        text,                    -- when PostgreSQL refused the rows
    parked_at       timestamptz NOT NULL DEFAULT now(),
    retried_at      timestamptz,             -- the last failed replay-parked
    PRIMARY KEY (projection, tenant_id, stream)
);
CREATE INDEX parked_streams_partition ON parked_streams (projection, partition);

-- One row per parked stream and commit record: the record's value byte for
-- byte (decoded again on replay exactly as the projector decoded it, so the
-- events map to the same rows; it survives the broker's retention) and which
-- of its events belong to the stream.
CREATE TABLE parked_events (
    projection      text        NOT NULL,
    tenant_id       uuid        NOT NULL,
    stream          text        NOT NULL,
    partition       integer     NOT NULL CHECK (partition >= 0),
    kafka_offset    bigint      NOT NULL CHECK (kafka_offset >= 0),
    seq             bigint      NOT NULL,
    record_id       text        NOT NULL,
    event_indexes   integer[]   NOT NULL CHECK (cardinality(event_indexes) > 0),
    event_ids       text[]      NOT NULL,
    types           text[]      NOT NULL,
    record          text        NOT NULL,
    parked_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, tenant_id, stream, partition, kafka_offset),
    FOREIGN KEY (projection, tenant_id, stream) REFERENCES parked_streams ON DELETE CASCADE
);

-- Operators' data, not the applications': no reader grant. Row security
-- as on every table with a tenant_id; the projector writes every row.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['parked_streams', 'parked_events']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY projector_writes ON %I TO ledgerflow_projector USING (true) WITH CHECK (true)', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO ledgerflow_projector', t);
  END LOOP;
END $$;
