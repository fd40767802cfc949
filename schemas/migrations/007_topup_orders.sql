-- ledgerflow 007: top-up orders (docs/domains/credits.md "Top-up orders";
-- docs/seed-mapping.md "credit_topup_orders"): the read table of the
-- projection credit_topup_orders in the seed's shape (Leadmetrics
-- credit_topup_orders), and the ledger entry type of a refunded order's
-- credits taken back.
--
-- The projection is new: with no checkpoint, the projectors build it from
-- the start of the log. credit_ledger keeps its version: no event it already
-- mapped maps differently, it only learns credits.topup_refunded.

-- One row per order. razorpay_order_id is the seed's name for the order id
-- (the same value as topup_order_id); amount_inr the seed's paise, for INR
-- orders only (amount_minor and currency hold every order's price). The
-- credits_* columns say, once refunded, how the granted credits divided:
-- credits = consumed + expired + taken_back + held_over.
CREATE TABLE credit_topup_orders (
    tenant_id           uuid        NOT NULL,
    topup_order_id      text        NOT NULL,
    razorpay_order_id   text        NOT NULL CHECK (razorpay_order_id = topup_order_id),
    credits             bigint      NOT NULL CHECK (credits > 0),
    amount_inr          bigint      CHECK (amount_inr >= 0),
    amount_minor        bigint      NOT NULL CHECK (amount_minor >= 0),
    currency            text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status              varchar(20) NOT NULL CHECK (status IN ('pending', 'paid', 'failed', 'refunded')),
    failure_reason      text,
    paid_at             timestamptz,
    expires_at          timestamptz,
    refunded_at         timestamptz,
    credits_consumed    bigint      CHECK (credits_consumed >= 0),
    credits_expired     bigint      CHECK (credits_expired >= 0),
    credits_taken_back  bigint      CHECK (credits_taken_back >= 0),
    credits_held_over   bigint      CHECK (credits_held_over >= 0),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, topup_order_id),
    CONSTRAINT credit_topup_orders_amount_inr_is_inr_minor
        CHECK (amount_inr IS NOT DISTINCT FROM (CASE WHEN currency = 'INR' THEN amount_minor END)),
    CONSTRAINT credit_topup_orders_paid_at_when_paid
        CHECK ((status IN ('paid', 'refunded')) = (paid_at IS NOT NULL)),
    CONSTRAINT credit_topup_orders_refund_divides_credits
        CHECK ((status = 'refunded') = (refunded_at IS NOT NULL)
               AND (status <> 'refunded'
                    OR credits_consumed + credits_expired + credits_taken_back + credits_held_over = credits))
);
-- The payment webhook finds an order by the provider's id (the seed's
-- UNIQUE razorpay_order_id; unique per tenant here, see docs/seed-mapping.md).
CREATE INDEX idx_credit_topup_orders_razorpay ON credit_topup_orders (razorpay_order_id);
CREATE INDEX idx_credit_topup_orders_pending ON credit_topup_orders (tenant_id, created_at)
    WHERE status = 'pending';

-- Row-level security and grants as for every read table
-- (003_tenant_isolation.sql).
ALTER TABLE credit_topup_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_reads ON credit_topup_orders FOR SELECT TO ledgerflow_reader
    USING (tenant_id = ledgerflow_current_tenant());
CREATE POLICY projector_writes ON credit_topup_orders TO ledgerflow_projector USING (true) WITH CHECK (true);
GRANT SELECT ON credit_topup_orders TO ledgerflow_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON credit_topup_orders TO ledgerflow_projector;

-- credit_ledger: a refunded order's credits taken back (credits.topup_refunded).
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_type_check;
ALTER TABLE credit_ledger ADD CONSTRAINT credit_ledger_type_check
    CHECK (type IN ('allocated', 'topup', 'reserved', 'consumed', 'released', 'refunded', 'adjusted',
                    'expired', 'topup_refunded'));
