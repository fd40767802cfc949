-- ledgerflow 002: the workflow read tables (docs/domains/workflow.md "Read
-- tables"): media buys and their packages, approvals, activities with the
-- agent and human queues, activity runs, and the audit log. Column types
-- match the projections' TableSpecs; NOT NULL where every event that writes
-- the row supplies the value.

-- media_buys: one row per buy and its status.
CREATE TABLE media_buys (
    tenant_id          uuid        NOT NULL,
    media_buy_id       text        NOT NULL,
    principal_id       text        NOT NULL,
    campaign_name      text        NOT NULL,
    buyer_ref          text,
    status             text        NOT NULL CHECK (status IN ('pending', 'approved', 'active', 'paused',
                                   'completed', 'failed')),
    status_reason      text,
    start_date         date        NOT NULL,
    end_date           date        NOT NULL,
    budget_total       bigint      NOT NULL CHECK (budget_total >= 0),
    requires_approval  boolean     NOT NULL,
    approval_id        text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, media_buy_id),
    CHECK (end_date >= start_date)
);

-- media_buy_packages: the packages of a buy, written with it. The foreign
-- key is checked at commit, so the order in which a batch writes the two
-- tables does not matter.
CREATE TABLE media_buy_packages (
    tenant_id     uuid    NOT NULL,
    media_buy_id  text    NOT NULL,
    package_id    text    NOT NULL,
    product_id    text    NOT NULL,
    budget        bigint  NOT NULL CHECK (budget >= 0),
    pricing       jsonb   CHECK (pricing IS NULL OR jsonb_typeof(pricing) = 'object'),
    targeting     jsonb   CHECK (targeting IS NULL OR jsonb_typeof(targeting) = 'object'),
    PRIMARY KEY (tenant_id, media_buy_id, package_id),
    FOREIGN KEY (tenant_id, media_buy_id) REFERENCES media_buys (tenant_id, media_buy_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- approvals: one row per approval; resolved_at is set exactly when it has
-- left pending.
CREATE TABLE approvals (
    tenant_id       uuid        NOT NULL,
    approval_id     text        NOT NULL,
    subject_kind    text        NOT NULL CHECK (subject_kind IN ('activity', 'media_buy', 'creative')),
    subject_id      text        NOT NULL,
    type            text        NOT NULL,
    risk_level      text        NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    status          text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected',
                                'revision_requested', 'expired')),
    title           text        NOT NULL,
    content_ref     text,
    reviewer_id     text,
    reviewed_by     text,
    reviewer_notes  text,
    chosen_option   text,
    expires_at      timestamptz NOT NULL,
    requested_at    timestamptz NOT NULL,
    resolved_at     timestamptz,
    escalated_at    timestamptz,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, approval_id),
    CHECK ((status = 'pending') = (resolved_at IS NULL))
);
-- Pending approvals by deadline (the reviewers' "expiring soon" list).
CREATE INDEX approvals_pending_expiry ON approvals (tenant_id, expires_at, approval_id)
    WHERE status = 'pending';
CREATE INDEX approvals_subject ON approvals (tenant_id, subject_kind, subject_id);

-- activities: one row per activity. priority_rank orders the queues
-- (0 urgent, 1 high, 2 medium, 3 low).
CREATE TABLE activities (
    tenant_id            uuid        NOT NULL,
    activity_id          text        NOT NULL,
    title                text        NOT NULL,
    type                 text        NOT NULL,
    description          text,
    status               text        NOT NULL CHECK (status IN ('created', 'assigned', 'in_progress',
                                     'awaiting_approval', 'approved', 'rejected', 'completed', 'failed',
                                     'cancelled')),
    assignee_type        text        NOT NULL CHECK (assignee_type IN ('agent', 'human')),
    assignee_agent_role  text,
    assignee_user_id     text,
    priority             text        NOT NULL CHECK (priority IN ('urgent', 'high', 'medium', 'low')),
    priority_rank        integer     NOT NULL CHECK (priority_rank BETWEEN 0 AND 3),
    is_approval_gate     boolean     NOT NULL,
    approval_id          text,
    rejection_note       text,
    revision_note        text,
    due_date             date,
    parent_activity_id   text,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    completed_at         timestamptz,
    PRIMARY KEY (tenant_id, activity_id),
    CHECK (priority_rank = CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
                                         WHEN 'medium' THEN 2 ELSE 3 END),
    CHECK (assignee_type <> 'agent' OR assignee_agent_role IS NOT NULL),
    CHECK (assignee_type <> 'human' OR assignee_user_id IS NOT NULL),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);

-- The queues: open activities (created, assigned, in_progress, rejected;
-- awaiting_approval and approved wait on a reviewer) per agent role and per
-- user. Read them with
--   WHERE tenant_id = $1 AND assignee_agent_role = $2   (or assignee_user_id)
--   ORDER BY priority_rank, due_date NULLS LAST, created_at, activity_id
-- which the partial indexes below serve in index order (an ascending btree
-- sorts NULLs last). Each view's WHERE repeats its index's predicate so the
-- planner can use the index.
CREATE INDEX activities_agent_queue
    ON activities (tenant_id, assignee_agent_role, priority_rank, due_date, created_at, activity_id)
    WHERE assignee_type = 'agent' AND status IN ('created', 'assigned', 'in_progress', 'rejected');
CREATE INDEX activities_human_queue
    ON activities (tenant_id, assignee_user_id, priority_rank, due_date, created_at, activity_id)
    WHERE assignee_type = 'human' AND status IN ('created', 'assigned', 'in_progress', 'rejected');

CREATE VIEW agent_queue AS
    SELECT tenant_id, assignee_agent_role, activity_id, title, type, status, priority, priority_rank,
           due_date, created_at
    FROM activities
    WHERE assignee_type = 'agent' AND status IN ('created', 'assigned', 'in_progress', 'rejected');

CREATE VIEW human_queue AS
    SELECT tenant_id, assignee_user_id, activity_id, title, type, status, priority, priority_rank,
           due_date, created_at
    FROM activities
    WHERE assignee_type = 'human' AND status IN ('created', 'assigned', 'in_progress', 'rejected');

-- activity_runs: one row per run; finished_at is set exactly when it has
-- ended. A completed run is charged at most its hold; a failed or timed-out
-- run reports credits_used as it was but is charged nothing.
CREATE TABLE activity_runs (
    tenant_id         uuid        NOT NULL,
    run_id            text        NOT NULL,
    activity_id       text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'timed_out')),
    reservation_id    text        NOT NULL,
    credits_reserved  bigint      NOT NULL CHECK (credits_reserved > 0),
    credits_used      bigint      CHECK (credits_used >= 0),
    credits_charged   bigint      CHECK (credits_charged >= 0),
    input_tokens      bigint      CHECK (input_tokens >= 0),
    output_tokens     bigint      CHECK (output_tokens >= 0),
    duration_ms       bigint      CHECK (duration_ms >= 0),
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    PRIMARY KEY (tenant_id, run_id),
    CHECK ((status = 'running') = (finished_at IS NULL)),
    CHECK ((status = 'running') = (credits_used IS NULL)),
    CHECK ((status = 'running') = (credits_charged IS NULL)),
    CHECK (credits_charged <= credits_reserved),
    CHECK (status = 'completed' OR credits_charged IS NULL OR credits_charged = 0)
);
CREATE INDEX activity_runs_activity ON activity_runs (tenant_id, activity_id, started_at);

-- audit_log: one row per event of the log (command.rejected included).
CREATE TABLE audit_log (
    tenant_id       uuid        NOT NULL,
    event_id        text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    operation       text        NOT NULL,
    resource_type   text        NOT NULL,
    resource_id     text,
    principal_id    text,
    principal_name  text,
    success         boolean     NOT NULL,
    error_message   text,
    details         jsonb,
    command_id      text        NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, occurred_at, event_id);
