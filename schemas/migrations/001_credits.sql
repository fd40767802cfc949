-- ledgerflow 001: positions, engine snapshots, the credits read tables and the
-- event_log archive. Column names follow DESIGN.md "Read tables".

-- Per projection and partition of ledgerflow.events: where to resume and the
-- chain position, advanced in the same transaction as the rows.
CREATE TABLE projection_checkpoints (
    projection          text        NOT NULL,
    partition           integer     NOT NULL CHECK (partition >= 0),
    next_offset         bigint      NOT NULL DEFAULT 0 CHECK (next_offset >= 0),
    last_seq            bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    last_record_id      text        NOT NULL DEFAULT '',
    ignored_count       bigint      NOT NULL DEFAULT 0,
    deadlettered_count  bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, partition)
);

-- Which version of each projection built its tables.
CREATE TABLE projections (
    name        text        PRIMARY KEY,
    version     integer     NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Engine snapshots: the decision state of one partition, incrementally.
CREATE TABLE engine_snapshots (
    partition             integer     PRIMARY KEY CHECK (partition >= 0),
    seq                   bigint      NOT NULL,
    record_id             text        NOT NULL,
    events_next_offset    bigint      NOT NULL,
    commands_next_offset  bigint      NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- State and results are the engine's own JSON, stored as text: written
-- often, read only by the engine, never queried inside.
CREATE TABLE engine_tenant_state (
    partition   integer NOT NULL,
    tenant_id   uuid    NOT NULL,
    state       text    NOT NULL,
    PRIMARY KEY (partition, tenant_id)
);

-- The command_id de-duplication window (the last N decisions per partition).
CREATE TABLE engine_dedup (
    partition   integer NOT NULL,
    tenant_id   uuid    NOT NULL,
    command_id  text    NOT NULL,
    seq         bigint  NOT NULL,
    result      text    NOT NULL,
    PRIMARY KEY (partition, tenant_id, command_id)
);
CREATE INDEX engine_dedup_seq ON engine_dedup (partition, seq);

-- credits: one row per tenant, the figures after the tenant's last event.
CREATE TABLE credit_balances (
    tenant_id            uuid        PRIMARY KEY,
    credits_monthly      bigint      NOT NULL,
    credits_available    bigint      NOT NULL,
    credits_reserved     bigint      NOT NULL,
    credits_consumed     bigint      NOT NULL,
    credits_topup        bigint      NOT NULL,
    effective_available  bigint      NOT NULL,
    period_start         timestamptz,
    period_end           timestamptz,
    next_reset_at        timestamptz,
    last_event_id        text        NOT NULL,
    updated_at           timestamptz NOT NULL,
    CHECK (credits_reserved >= 0),
    CHECK (effective_available = credits_available - credits_reserved),
    CHECK (effective_available >= 0)
);

-- credits: one row per credits event; credits is the signed change to
-- effective available, balance_after the effective available after it.
CREATE TABLE credit_ledger (
    tenant_id         uuid        NOT NULL,
    event_id          text        NOT NULL,
    type              text        NOT NULL CHECK (type IN ('allocated', 'topup', 'reserved',
                                  'consumed', 'released', 'refunded', 'adjusted', 'expired')),
    credits           bigint      NOT NULL,
    reservation_id    text,
    activity_run_id   text,
    deliverable_type  text,
    topup_order_id    text,
    reason            text,
    balance_after     bigint      NOT NULL CHECK (balance_after >= 0),
    actor             text        NOT NULL,
    note              text,
    command_id        text        NOT NULL,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX credit_ledger_tenant_time ON credit_ledger (tenant_id, created_at, event_id);

CREATE TABLE credit_reservations (
    tenant_id         uuid        NOT NULL,
    reservation_id    text        NOT NULL,
    credits           bigint      NOT NULL CHECK (credits > 0),
    credits_consumed  bigint,
    status            text        NOT NULL CHECK (status IN ('open', 'consumed', 'released', 'expired')),
    activity_run_id   text,
    deliverable_type  text,
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    closed_at         timestamptz,
    PRIMARY KEY (tenant_id, reservation_id),
    CHECK (credits_consumed IS NULL OR credits_consumed <= credits)
);
CREATE INDEX credit_reservations_open ON credit_reservations (tenant_id, expires_at)
    WHERE status = 'open';

-- Every event of every accepted commit record, so a rebuild can read from
-- PostgreSQL when the broker no longer holds the start of the log.
CREATE TABLE event_log (
    tenant_id       uuid        NOT NULL,
    event_id        text        NOT NULL,
    partition       integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    seq             bigint      NOT NULL,
    record_id       text        NOT NULL,
    event_index     integer     NOT NULL,
    command_id      text        NOT NULL,
    type            text        NOT NULL,
    schema_version  integer     NOT NULL,
    stream          text        NOT NULL,
    stream_version  bigint      NOT NULL,
    occurred_at     timestamptz NOT NULL,
    event           jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX event_log_partition_seq ON event_log (partition, seq, event_index);
CREATE INDEX event_log_stream ON event_log (tenant_id, stream, stream_version);
