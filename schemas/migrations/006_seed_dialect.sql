-- ledgerflow 006: the workflow read tables in the seed platforms' dialect
-- (docs/domains/workflow.md "Read tables" and "Queues"; DESIGN.md "Seed
-- dialect (catalogue v2)"): the seeds' column names (started_on, ended_on,
-- completed_on, created_on), their enums (activity_priority, approval_type),
-- budgets as exact numerics in the buy's currency beside their minor units,
-- the review-step and escalation columns, the runs' adapter and cost, the
-- audit rows of every seed, and the seeds' queues and indexes.
--
-- Existing rows. The projections media_buys, approvals, activities,
-- activity_runs and audit_log move to version 2 with this change, so the
-- projector rebuilds these tables from the log before it writes to them again
-- (docs/deploy.md, "A new projection version"); the old rows keep serving
-- until the rebuilt tables are swapped in. They are converted here, not
-- cleared, as the v2 upcasters read their events: budgets were USD minor
-- units (budget_total_minor = the old value, budget_total = it / 100, currency
-- USD); priority 'medium' becomes 'normal'; an approval type that is not a
-- seed type becomes content_review / media_buy / creative by its subject's
-- kind; an audit row's recorded_at is its occurred_at. Columns v1 events never
-- carried (started_on, the escalation links, a run's adapter and cost, the
-- audit request fields, ...) start NULL.
--
-- Every statement below runs in the migration's one transaction.

-- ---------------------------------------------------------------- media buys

-- budget_total (bigint minor units) becomes budget_total_minor; budget_total
-- is the seed's amount in the currency's major unit, numeric and exact
-- (written with exactly the currency's minor digits, e.g. 5000.50 USD).
ALTER TABLE media_buys RENAME COLUMN budget_total TO budget_total_minor;
ALTER TABLE media_buys RENAME CONSTRAINT media_buys_budget_total_check TO media_buys_budget_total_minor_check;
ALTER TABLE media_buys
    ADD COLUMN currency     text    CHECK (currency ~ '^[A-Z]{3}$'),
    ADD COLUMN budget_total numeric CHECK (budget_total >= 0);
UPDATE media_buys SET currency = 'USD', budget_total = round(budget_total_minor::numeric / 100, 2);
ALTER TABLE media_buys
    ALTER COLUMN currency SET NOT NULL,
    ALTER COLUMN budget_total SET NOT NULL;

ALTER TABLE media_buy_packages RENAME COLUMN budget TO budget_minor;
ALTER TABLE media_buy_packages RENAME CONSTRAINT media_buy_packages_budget_check TO media_buy_packages_budget_minor_check;
ALTER TABLE media_buy_packages
    ADD COLUMN currency text    CHECK (currency ~ '^[A-Z]{3}$'),
    ADD COLUMN budget   numeric CHECK (budget >= 0);
UPDATE media_buy_packages SET currency = 'USD', budget = round(budget_minor::numeric / 100, 2);
ALTER TABLE media_buy_packages
    ALTER COLUMN currency SET NOT NULL,
    ALTER COLUMN budget SET NOT NULL;

-- ---------------------------------------------------------------- approvals

-- The seeds' review types (Leadmetrics' approvals, the Prebid sales agent's
-- tasks).
CREATE TYPE approval_type AS ENUM ('content_review', 'strategy_review', 'brand_direction', 'content_direction',
                                   'hire_agent', 'media_buy', 'creative', 'product');

ALTER TABLE approvals RENAME COLUMN requested_at TO created_on;
ALTER TABLE approvals
    ALTER COLUMN type TYPE approval_type USING (
        CASE
            WHEN type IN ('content_review', 'strategy_review', 'brand_direction', 'content_direction', 'hire_agent',
                          'media_buy', 'creative', 'product') THEN type
            WHEN subject_kind = 'activity' THEN 'content_review'
            WHEN subject_kind = 'media_buy' THEN 'media_buy'
            ELSE 'creative'
        END)::approval_type,
    ALTER COLUMN chosen_option TYPE varchar(255),
    -- the review step (an activity with is_approval_gate) it belongs to
    ADD COLUMN activity_id           text,
    ADD COLUMN sent_to_client_at     timestamptz,
    ADD COLUMN escalate_to           text,
    -- the approval whose expiry opened this one, and the one this one's
    -- expiry opened
    ADD COLUMN escalated_from        text,
    ADD COLUMN follow_up_approval_id text;

-- The seed's idx_approvals_pending (the reviewers' "expiring soon" list) and
-- idx_approvals_activity, tenant first.
ALTER INDEX approvals_pending_expiry RENAME TO idx_approvals_pending;
CREATE INDEX idx_approvals_activity ON approvals (tenant_id, activity_id) WHERE activity_id IS NOT NULL;

-- ---------------------------------------------------------------- activities

-- The queues are re-created below on the new columns.
DROP VIEW agent_queue;
DROP VIEW human_queue;
DROP INDEX activities_agent_queue;
DROP INDEX activities_human_queue;

-- priority is the seed's enum, declared so that ORDER BY priority lists
-- urgent work first; priority_rank (and its checks) goes.
CREATE TYPE activity_priority AS ENUM ('urgent', 'high', 'normal', 'low');
ALTER TABLE activities DROP COLUMN priority_rank;
ALTER TABLE activities DROP CONSTRAINT activities_priority_check;
ALTER TABLE activities
    ALTER COLUMN priority TYPE activity_priority
        USING (CASE priority WHEN 'medium' THEN 'normal' ELSE priority END)::activity_priority;

ALTER TABLE activities RENAME COLUMN completed_at TO completed_on;
ALTER TABLE activities RENAME CONSTRAINT activities_check3 TO activities_completed_on_check;
ALTER TABLE activities RENAME CONSTRAINT activities_check1 TO activities_agent_assignee_check;
-- A human activity names its user, except a review step, which may wait
-- unassigned for approval.assign.
ALTER TABLE activities DROP CONSTRAINT activities_check2;
ALTER TABLE activities
    ADD CONSTRAINT activities_human_assignee_check
        CHECK (assignee_type <> 'human' OR assignee_user_id IS NOT NULL OR is_approval_gate),
    ADD COLUMN input_data     jsonb        CHECK (input_data IS NULL OR jsonb_typeof(input_data) = 'object'),
    ADD COLUMN output_summary jsonb        CHECK (output_summary IS NULL OR jsonb_typeof(output_summary) = 'object'),
    ADD COLUMN output_ref     varchar(255),
    -- when the work was last started (activity.started)
    ADD COLUMN started_on     timestamptz;

-- The seed's queue indexes (its "Critical Indexes"), keyed for their reads:
-- the rows of one queue, in queue order, straight from the index (an
-- ascending btree sorts NULLs last, as ORDER BY due_date does). The human
-- index's predicate leaves assignee_type out: the seed's "human's pending
-- activity queue" query filters on assignee_user_id and status only, and
-- assignee_user_id = $2 implies the IS NOT NULL below, so that query and
-- human_queue (whose assignee_type = 'human' rows are the ones with a user)
-- can both use it.
CREATE INDEX idx_activities_agent_queue
    ON activities (tenant_id, assignee_agent_role, priority, due_date, created_at, activity_id)
    WHERE assignee_type = 'agent' AND status IN ('created', 'assigned');
CREATE INDEX idx_activities_human_queue
    ON activities (tenant_id, assignee_user_id, is_approval_gate DESC, priority, due_date, created_at, activity_id)
    WHERE assignee_user_id IS NOT NULL AND status IN ('created', 'awaiting_approval');
-- The seed's idx_activities_tenant_status, and the sub-activities (review
-- steps) of an activity.
CREATE INDEX idx_activities_tenant_status ON activities (tenant_id, status);
CREATE INDEX idx_activities_parent ON activities (tenant_id, parent_activity_id) WHERE parent_activity_id IS NOT NULL;

-- The queues, in queue order. Each view's WHERE implies its index's
-- predicate, so a read of one assignee's queue
--   SELECT ... FROM agent_queue WHERE tenant_id = $1 AND assignee_agent_role = $2
--   SELECT ... FROM human_queue WHERE tenant_id = $1 AND assignee_user_id = $2
-- is an index scan in index order. Security-invoker: the reader's row-level
-- security on activities applies through them.
CREATE VIEW agent_queue WITH (security_invoker = true) AS
    SELECT tenant_id, assignee_agent_role, activity_id, title, type, status, priority, due_date, created_at,
           parent_activity_id, revision_note
    FROM activities
    WHERE assignee_type = 'agent' AND status IN ('created', 'assigned')
    ORDER BY priority, due_date NULLS LAST, created_at, activity_id;

CREATE VIEW human_queue WITH (security_invoker = true) AS
    SELECT tenant_id, assignee_user_id, activity_id, title, type, status, priority, is_approval_gate, approval_id,
           due_date, created_at, parent_activity_id, revision_note
    FROM activities
    WHERE assignee_type = 'human' AND status IN ('created', 'awaiting_approval')
    ORDER BY is_approval_gate DESC, priority, due_date NULLS LAST, created_at, activity_id;

GRANT SELECT ON agent_queue, human_queue TO ledgerflow_reader;

-- ---------------------------------------------------------------- activity runs

ALTER TABLE activity_runs RENAME COLUMN started_at TO started_on;
ALTER TABLE activity_runs RENAME COLUMN finished_at TO ended_on;
ALTER TABLE activity_runs RENAME CONSTRAINT activity_runs_check TO activity_runs_ended_on_check;
ALTER TABLE activity_runs
    ADD COLUMN adapter_type varchar(50),
    ADD COLUMN model_id     varchar(100),
    ADD COLUMN session_id   text,
    ADD COLUMN error        text,
    -- usage.cost_usd_micros / 10^6, exact
    ADD COLUMN cost_usd     numeric(10, 6) CHECK (cost_usd >= 0);

-- ---------------------------------------------------------------- audit log

-- occurred_at: when it happened (an audit.recorded row's own time, else the
-- event's); recorded_at: when the engine recorded it (the event's time).
ALTER TABLE audit_log ALTER COLUMN resource_type DROP NOT NULL;
ALTER TABLE audit_log
    ADD COLUMN recorded_at    timestamptz,
    ADD COLUMN adapter_id     text,
    ADD COLUMN ip_address     inet,
    ADD COLUMN user_agent     varchar(500),
    ADD COLUMN request_id     varchar(100),
    ADD COLUMN endpoint       varchar(255),
    ADD COLUMN http_method    varchar(10),
    ADD COLUMN old_value      jsonb,
    ADD COLUMN new_value      jsonb,
    ADD COLUMN changed_fields jsonb;
UPDATE audit_log SET recorded_at = occurred_at;
ALTER TABLE audit_log ALTER COLUMN recorded_at SET NOT NULL;
