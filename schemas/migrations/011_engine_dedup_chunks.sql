-- ledgerflow 011: the engine's de-duplication window saved in chunks
-- (docs/performance.md, "The fourth pass"). A snapshot wrote one
-- engine_dedup row per decision since the last snapshot: about 4,000 rows of
-- a few hundred bytes each per partition and snapshot, each with two index
-- entries and an ON CONFLICT check. On a 2-core machine that was a third of
-- the CPU while the engine ran at full speed, taken from the engine. A
-- snapshot now writes the new entries as one row, a JSON array, and the
-- header remembers how far the window has moved on.
--
-- engine_dedup stays: rows an earlier engine wrote are read and evicted as
-- before, and no new ones are written.
CREATE TABLE engine_dedup_chunks (
    partition  integer NOT NULL,
    seq        bigint  NOT NULL,  -- the snapshot that wrote the chunk
    max_seq    bigint  NOT NULL,  -- its newest entry: the chunk goes when the window passes it
    -- [[tenant_id, command_id, seq, result], ...], oldest first; result is
    -- the encoded ResultEnvelope, as a JSON string.
    entries    text    NOT NULL,
    PRIMARY KEY (partition, seq)
);
ALTER TABLE engine_dedup_chunks ALTER COLUMN entries SET COMPRESSION lz4;

-- Entries with seq at or below this have left the window (a chunk may hold
-- some until all of it has).
ALTER TABLE engine_snapshots ADD COLUMN dedup_evicted_through_seq bigint NOT NULL DEFAULT 0;

-- A tenant's state is rewritten at every snapshot that follows a change to
-- it; lz4 compresses it several times faster than the default pglz.
ALTER TABLE engine_tenant_state ALTER COLUMN state SET COMPRESSION lz4;
