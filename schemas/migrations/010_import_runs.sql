-- ledgerflow 010: imported runs (ledgerflow import activity_runs,
-- docs/migrating.md "activity_runs"). The seed's run rows carry no credits:
-- an imported finished run has NULL reservation_id, credits_reserved,
-- credits_used and credits_charged (what it used is in credit_ledger, by
-- activity_run_id); an imported running one shows the open hold it took
-- over from the imported ledger. A running run still has neither
-- credits_used nor credits_charged.
ALTER TABLE activity_runs
    ALTER COLUMN reservation_id DROP NOT NULL,
    ALTER COLUMN credits_reserved DROP NOT NULL,
    DROP CONSTRAINT activity_runs_check1,
    DROP CONSTRAINT activity_runs_check2,
    ADD CONSTRAINT activity_runs_running_used_check CHECK (status <> 'running' OR credits_used IS NULL),
    ADD CONSTRAINT activity_runs_running_charged_check CHECK (status <> 'running' OR credits_charged IS NULL);
