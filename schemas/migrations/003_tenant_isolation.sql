-- ledgerflow 003: tenants cannot see each other (DESIGN.md guarantee 7).
--
-- Two roles (cluster-wide; created once, NOLOGIN: grant them to the login
-- roles of a deployment):
--   ledgerflow_reader     what applications read with: SELECT on the read
--                         tables, and row-level security shows only the rows
--                         of the tenant named by the transaction's
--                         `ledgerflow.tenant_id` setting:
--                           BEGIN; SET LOCAL ROLE ledgerflow_reader;  -- or log in as a member
--                           SET LOCAL ledgerflow.tenant_id = '<uuid>'; SELECT ...; COMMIT;
--                         No setting, no rows. SET LOCAL ends with the
--                         transaction, so a pooled connection cannot carry one
--                         tenant's setting into the next.
--   ledgerflow_projector  what the projectors write with: every row of the
--                         read tables, and its positions; never the reader.
-- The owner of the tables (the role that ran the migrations) bypasses row
-- security as PostgreSQL's table owners do.

DO $$
BEGIN
  CREATE ROLE ledgerflow_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another database of the cluster made it
END $$;

DO $$
BEGIN
  CREATE ROLE ledgerflow_projector NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another database of the cluster made it
END $$;

-- The tenant the current transaction reads for, or NULL.
CREATE FUNCTION ledgerflow_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('ledgerflow.tenant_id', true), '')::uuid $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['credit_balances', 'credit_ledger', 'credit_reservations', 'event_log',
                           'media_buys', 'media_buy_packages', 'approvals', 'activities',
                           'activity_runs', 'audit_log']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_reads ON %I FOR SELECT TO ledgerflow_reader '
                   'USING (tenant_id = ledgerflow_current_tenant())', t);
    EXECUTE format('CREATE POLICY projector_writes ON %I TO ledgerflow_projector USING (true) WITH CHECK (true)', t);
    EXECUTE format('GRANT SELECT ON %I TO ledgerflow_reader', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO ledgerflow_projector', t);
  END LOOP;
END $$;

-- The queues read activities with the reader's rights, so its row security
-- applies through them.
ALTER VIEW agent_queue SET (security_invoker = true);
ALTER VIEW human_queue SET (security_invoker = true);
GRANT SELECT ON agent_queue, human_queue TO ledgerflow_reader;
GRANT EXECUTE ON FUNCTION ledgerflow_current_tenant() TO ledgerflow_reader;

-- The projectors' own bookkeeping.
GRANT SELECT, INSERT, UPDATE ON projection_checkpoints, projections TO ledgerflow_projector;
