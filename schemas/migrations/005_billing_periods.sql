-- ledgerflow 005: billing periods are dates (docs/domains/credits.md
-- "Billing periods"; the seed's credit_balances). period_start and
-- period_end become the period's dates, period_end inclusive, in the
-- tenant's billing time zone; next_reset_at stays a timestamptz: the instant
-- the period ends, the start of the day after period_end in that zone.
--
-- Existing rows are converted the way the upcasters read a v1 period: the
-- UTC dates of its first and of its last millisecond (next_reset_at already
-- holds the old period_end). The credit_balances projection moves to
-- version 2 with this change, so the projector rebuilds the table from the
-- log before it projects again; the conversion keeps the table readable in
-- between. ALTER COLUMN ... TYPE keeps the table's row-level security,
-- policies and grants as 003_tenant_isolation.sql set them.

ALTER TABLE credit_balances
    ALTER COLUMN period_start TYPE date
        USING (period_start AT TIME ZONE 'UTC')::date,
    ALTER COLUMN period_end TYPE date
        USING ((period_end - interval '1 millisecond') AT TIME ZONE 'UTC')::date;

ALTER TABLE credit_balances
    ADD CONSTRAINT credit_balances_period_dates CHECK (period_end >= period_start);

COMMENT ON COLUMN credit_balances.period_start IS
    'First day of the current billing period, in the tenant''s billing time zone';
COMMENT ON COLUMN credit_balances.period_end IS
    'Last day of the current billing period (inclusive), in the tenant''s billing time zone';
COMMENT ON COLUMN credit_balances.next_reset_at IS
    'When the current period ends and the next allocation is granted: the start of the day after period_end in the billing time zone';
