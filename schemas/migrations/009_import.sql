-- ledgerflow 009: imports (docs/migrating.md). An imported chunk is one
-- event of up to 1,000 ledger entries; event_log archives it whole as jsonb,
-- which PostgreSQL compresses out of line (TOAST). lz4 compresses such
-- values several times faster than the default pglz (the import benchmark
-- spent a tenth of PostgreSQL's time in pglz_compress); values already
-- stored keep their compression until rewritten, and readers see no
-- difference.
ALTER TABLE event_log ALTER COLUMN event SET COMPRESSION lz4;
