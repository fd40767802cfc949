-- ledgerflow 008: USD spend and usage (docs/domains/usage.md): the seeds'
-- llm_calls (partitioned by month, as Leadmetrics keeps it), tool_calls,
-- Agent Factory's usage_records, and each tenant's spend and cap of the
-- spend period in force (tenant_spend). Money is numeric, never float.
--
-- Every statement below runs in the migration's one transaction.

-- ------------------------------------------------------- monthly partitions

-- Creates the monthly partition of `parent` (a table partitioned by range on
-- one timestamptz column) that holds `at`, if it does not exist yet:
-- <parent>_pYYYYMM for [the first instant of at's UTC month, the next one).
-- Rows of that month in the DEFAULT partition (the safety net) move into it.
-- Returns the partition's name. The projectors call it with parameters
-- before they write rows (consumers/pg/batch_writer.cpp); the DDL is built
-- with format('%I', ...) from the parent's name (a table named in code) and
-- the catalog, never from row data. SECURITY DEFINER: the projector role
-- writes rows but does not own the tables; a partition belongs to the owner.
CREATE FUNCTION ledgerflow_ensure_month_partition(parent text, at timestamptz) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
  month_start  timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  month_end    timestamptz := (date_trunc('month', at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  part_name    text := parent || '_p' || to_char(at AT TIME ZONE 'UTC', 'YYYYMM');
  parent_oid   oid;
  key_column   text;
  default_part text;
BEGIN
  IF to_regclass(format('%I', part_name)) IS NOT NULL THEN
    RETURN part_name;
  END IF;
  parent_oid := to_regclass(format('%I', parent));
  SELECT a.attname INTO key_column
    FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
   WHERE p.partrelid = parent_oid AND p.partstrat = 'r' AND p.partnatts = 1;
  IF key_column IS NULL THEN
    RAISE EXCEPTION '% is not a table partitioned by range on one column', parent;
  END IF;
  -- Two projectors may reach a new month at once: one creates it.
  PERFORM pg_advisory_xact_lock(hashtext('ledgerflow_ensure_month_partition'), hashtext(parent));
  IF to_regclass(format('%I', part_name)) IS NOT NULL THEN
    RETURN part_name;
  END IF;
  SELECT c.relname INTO default_part
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
   WHERE i.inhparent = parent_oid AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part_name, parent);
  IF default_part IS NOT NULL THEN
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moved', default_part, key_column, key_column, part_name)
      USING month_start, month_end;
  END IF;
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                 parent, part_name, month_start, month_end);
  RETURN part_name;
END $$;

REVOKE ALL ON FUNCTION ledgerflow_ensure_month_partition(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledgerflow_ensure_month_partition(text, timestamptz) TO ledgerflow_projector;

-- ---------------------------------------------------------------- llm_calls

-- Leadmetrics' llm_calls: every LLM request, its cost exact. created_on is
-- when the call happened; spend_period_start the spend period it counted
-- into (usually created_on's, see docs/domains/usage.md "Spend periods");
-- recorded_at when the engine recorded it.
CREATE TABLE llm_calls (
    tenant_id          uuid          NOT NULL,
    llm_call_id        text          NOT NULL,
    created_on         timestamptz   NOT NULL,
    activity_run_id    text,
    adapter_type       varchar(50)   NOT NULL CHECK (adapter_type IN ('claude', 'openai', 'ollama', 'webhook')),
    model_id           varchar(100)  NOT NULL,
    prompt_hash        varchar(64)   CHECK (prompt_hash ~ '^[0-9a-f]{64}$'),
    response_hash      varchar(64)   CHECK (response_hash ~ '^[0-9a-f]{64}$'),
    input_tokens       integer       NOT NULL CHECK (input_tokens >= 0),
    output_tokens      integer       NOT NULL CHECK (output_tokens >= 0),
    cost_usd           numeric(10,6) NOT NULL CHECK (cost_usd >= 0),
    duration_ms        integer       CHECK (duration_ms >= 0),
    spend_period_start timestamptz   NOT NULL,
    recorded_at        timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, llm_call_id, created_on)
) PARTITION BY RANGE (created_on);

-- Rows of a month without its partition (none, while the projectors create
-- each month's first): moved out when that month's partition is created.
CREATE TABLE llm_calls_default PARTITION OF llm_calls DEFAULT;

-- The seed's cost aggregation and cost-dashboard indexes.
CREATE INDEX idx_llm_calls_cost ON llm_calls (tenant_id, created_on);
CREATE INDEX idx_llm_calls_tenant_created ON llm_calls (tenant_id, created_on DESC);

-- --------------------------------------------------------------- tool_calls

CREATE TYPE tool_call_status AS ENUM ('success', 'error');

CREATE TABLE tool_calls (
    tenant_id          uuid             NOT NULL,
    tool_call_id       text             NOT NULL,
    activity_run_id    text,
    tool_name          varchar(100)     NOT NULL,
    method             varchar(100)     NOT NULL,
    input              jsonb,
    output             jsonb,
    status             tool_call_status NOT NULL,
    error              text,
    duration_ms        integer          CHECK (duration_ms >= 0),
    cost_usd           numeric(10,6)    NOT NULL CHECK (cost_usd >= 0),
    created_on         timestamptz      NOT NULL,
    spend_period_start timestamptz      NOT NULL,
    recorded_at        timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, tool_call_id)
);
CREATE INDEX idx_tool_calls_tenant_created ON tool_calls (tenant_id, created_on DESC);

-- ------------------------------------------------------------ usage_records

-- Agent Factory's usage_records, amounts exact (its Float columns as
-- numeric). total_cost = quantity x unit_price rounded half up to 6
-- decimals, in `currency`; counted_usd is what counted toward the USD spend
-- (total_cost in USD, else 0).
CREATE TABLE usage_records (
    tenant_id          uuid          NOT NULL,
    usage_record_id    text          NOT NULL,
    subscription_id    text,
    billing_unit       varchar(64)   NOT NULL,
    quantity           numeric       NOT NULL CHECK (quantity >= 0),
    unit_price         numeric       NOT NULL CHECK (unit_price >= 0),
    total_cost         numeric       NOT NULL CHECK (total_cost >= 0),
    currency           text          NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    period_start       timestamptz,
    period_end         timestamptz,
    created_at         timestamptz   NOT NULL,
    counted_usd        numeric(12,6) NOT NULL CHECK (counted_usd >= 0),
    spend_period_start timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, usage_record_id),
    CHECK (period_end >= period_start)
);
CREATE INDEX idx_usage_records_tenant_created ON usage_records (tenant_id, created_at DESC);

-- ------------------------------------------------------------- tenant_spend

-- The month's spend and the cap (Leadmetrics tenants.monthly_spend_cap_usd,
-- current_month_spend_usd) for the spend period in force: [period_start,
-- period_end), instants, the end exclusive. The seed's cost aggregation over
-- that range sums to current_month_spend_usd for calls recorded in the
-- period they happened in.
CREATE TABLE tenant_spend (
    tenant_id               uuid          PRIMARY KEY,
    monthly_spend_cap_usd   numeric(10,4) CHECK (monthly_spend_cap_usd >= 0),
    current_month_spend_usd numeric(12,6) NOT NULL CHECK (current_month_spend_usd >= 0),
    period_start            timestamptz   NOT NULL,
    period_end              timestamptz   NOT NULL,
    spend_basis             text          NOT NULL CHECK (spend_basis IN ('billing_period', 'calendar_month')),
    updated_at              timestamptz   NOT NULL,
    CHECK (period_end > period_start)
);

-- ------------------------------------------------------- tenant isolation

-- As 003_tenant_isolation.sql. Partitions are reached through llm_calls,
-- whose policies apply; no role but the owner is granted a partition.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['llm_calls', 'tool_calls', 'usage_records', 'tenant_spend']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_reads ON %I FOR SELECT TO ledgerflow_reader '
                   'USING (tenant_id = ledgerflow_current_tenant())', t);
    EXECUTE format('CREATE POLICY projector_writes ON %I TO ledgerflow_projector USING (true) WITH CHECK (true)', t);
    EXECUTE format('GRANT SELECT ON %I TO ledgerflow_reader', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO ledgerflow_projector', t);
  END LOOP;
END $$;
