#!/usr/bin/python3
"""Writes the seed corpora of the fuzzing harnesses (fuzz/corpus/<harness>/).

The seeds are real inputs: the catalogue v1 fixture's commands and commit
records (tests/fixtures/catalogue_v1, written by the last v1 engine), command
sequences of every command type in the seed platforms' shapes (taken from the
unit tests' payload builders, tests/support/workflow_matrix.hpp), the intake's
refusals, JSON and amount edge cases, and a few small zoneinfo files.

Run from the repository root: fuzz/make_seeds.py. It rewrites the generated
seeds (named <kind>-<name>) and leaves other files alone, so minimised crash
inputs added by hand (named crash-<what>) stay.
"""

import json
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "catalogue_v1")
ZONEINFO = "/usr/share/zoneinfo"

TENANT = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b"
OTHER = "0c5a9e7d-1b2c-4d3e-8f4a-5b6c7d8e9f01"


def write(harness, name, data):
    directory = os.path.join(CORPUS, harness)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as out:
        out.write(data)


def clear_generated(harness):
    directory = os.path.join(CORPUS, harness)
    if not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        if not name.startswith("crash-"):
            os.remove(os.path.join(directory, name))


# ---- command_fuzz: messages, one a line, "key<TAB>value" ----------------------

class Script:
    """A command sequence of one or more tenants, as kcat -K '\\t' lines."""

    def __init__(self, tenant=TENANT):
        self.tenant = tenant
        self.lines = []
        self.count = 0

    def add(self, type_, payload, actor="user:alice", at="2026-11-10T12:00:00Z", tenant=None,
            **envelope):
        tenant = tenant or self.tenant
        self.count += 1
        command = {"command_id": "c%d" % self.count, "type": type_, "tenant_id": tenant,
                   "actor": actor, "issued_at": at}
        command.update(envelope)
        command["payload"] = payload
        self.raw(json.dumps(command, separators=(",", ":")), key=tenant)
        return self

    def raw(self, value, key=None):
        value = value if isinstance(value, bytes) else value.encode()
        self.lines.append(value if key is None else key.encode() + b"\t" + value)
        return self

    def text(self):
        return b"\n".join(self.lines) + b"\n"


def buy(id_, requires_approval, **extra):
    payload = {"media_buy_id": id_, "principal_id": "adv-1", "campaign_name": "Winter sale",
               "start_date": "2026-12-01", "end_date": "2026-12-31",
               "packages": [{"package_id": "p1", "product_id": "ctv-prime", "budget": "5000.00",
                             "pricing": {"model": "cpm", "rate_micros": 25000000},
                             "targeting": {"geo": ["US"]}},
                            {"package_id": "p2", "product_id": "display", "budget": 2500}],
               "requires_approval": requires_approval}
    payload.update(extra)
    return payload


def activity(id_, gate, **extra):
    payload = {"activity_id": id_, "title": "Write banner copy", "type": "copywriting",
               "priority": "high", "is_approval_gate": gate}
    if gate:
        payload.update(assignee_type="human", assignee_user_id="user:kim")
    else:
        payload.update(assignee_type="agent", assignee_agent_role="copywriter")
    payload.update(extra)
    return payload


def decision(id_, **extra):
    payload = {"approval_id": id_, "reviewed_by": "user:rita"}
    payload.update(extra)
    return payload


ALLOCATE = {"credits_monthly": 10000, "period_start": "2026-11-01", "period_end": "2026-11-30"}


def command_scripts():
    scripts = {}

    s = Script()
    s.add("credits.allocate", dict(ALLOCATE, timezone="Asia/Kolkata"), actor="system")
    s.add("credits.topup", {"topup_order_id": "ord-1", "credits": 2500})
    s.add("credits.reserve", {"reservation_id": "r1", "credits": 1200, "activity_run_id": "run-1",
                              "deliverable_type": "banner"}, actor="agent:copywriter")
    s.add("credits.consume", {"reservation_id": "r1", "credits": 1000}, actor="agent:copywriter")
    s.add("credits.reserve", {"reservation_id": "r2", "credits": 300})
    s.add("credits.release", {"reservation_id": "r2"})
    s.add("credits.refund", {"credits": 200, "activity_run_id": "run-1", "note": "quality"},
          actor="support:maria")
    s.add("credits.adjust", {"credits": -150, "note": "goodwill"}, actor="admin:ops-jane")
    s.add("credits.adjust", {"credits": 5, "note": "agents may not"}, actor="agent:planner")
    scripts["credits-lifecycle"] = s

    s = Script()
    s.add("credits.allocate", {"credits_monthly": 5000, "period_start": "2026-11-01T00:00:00Z",
                               "period_end": "2026-12-01T00:00:00Z"}, actor="system")
    s.add("credits.reserve", {"reservation_id": "r1", "credits": 6000})
    s.add("credits.topup", {"topup_order_id": "ord-9", "credits": 100,
                            "expires_at": "2026-11-20T00:00:00Z"})
    s.add("credits.topup", {"topup_order_id": "ord-9", "credits": 100})
    s.add("credits.reserve", {"reservation_id": "r1", "credits": 4000,
                              "expires_at": "2026-11-11T00:00:00Z"})
    # A month later: reservations and top-ups expire, the period renews.
    s.add("credits.consume", {"reservation_id": "r1", "credits": 10}, at="2027-01-02T00:00:00Z")
    scripts["credits-timers"] = s

    # Top-up orders: paid (the webhook twice), partly consumed, refunded while
    # held; one failed and paid after all; prices in paise and in USD.
    s = Script()
    s.add("credits.allocate", dict(ALLOCATE, credits_monthly=0), actor="system")
    s.add("topup_order.create", {"topup_order_id": "order_A", "credits": 500, "amount": "499.00"})
    s.add("topup_order.pay", {"topup_order_id": "order_A", "paid_at": "2026-11-10T11:59:58Z"},
          actor="system")
    s.add("topup_order.pay", {"topup_order_id": "order_A"}, actor="system")
    s.add("credits.reserve", {"reservation_id": "r1", "credits": 400}, actor="agent:writer")
    s.add("topup_order.refund", {"topup_order_id": "order_A", "note": "chargeback"},
          actor="support:maria")
    s.add("credits.consume", {"reservation_id": "r1", "credits": 250}, actor="agent:writer")
    s.add("topup_order.create", {"topup_order_id": "order_B", "credits": 10, "amount": 4.99,
                                 "currency": "USD", "expires_at": "2026-11-20T00:00:00Z"})
    s.add("topup_order.fail", {"topup_order_id": "order_B", "reason": "declined"}, actor="system")
    s.add("topup_order.pay", {"topup_order_id": "order_B"}, actor="admin:ops")
    s.add("topup_order.create", {"topup_order_id": "order_C", "credits": 1, "amount": "1.005"})
    scripts["topup-orders"] = s

    # An imported ledger in two chunks (the original times kept), the first
    # chunk sent again, then a live reserve against the imported balance.
    def ledger_row(line, type_, credits, balance, at, **extra):
        row = {"line": line, "id": "row-%d" % line, "type": type_, "credits": credits,
               "balance_after": balance, "created_at": at}
        row.update(extra)
        return row
    first = {"import_id": "ab" * 32, "chunk": 0, "chunks": 2,
             "source": {"file": "credit_ledger.csv", "first_line": 2, "last_line": 4},
             "rows": [ledger_row(2, "allocated", 10000, 10000, "2026-03-01T00:00:00Z", actor="system"),
                      ledger_row(3, "topup", 500, 10500, "2026-03-02T09:30:00.123Z",
                                 topup_order_id="order_M1"),
                      ledger_row(4, "reserved", -300, 10200, "2026-03-03T10:00:00+05:30",
                                 activity_run_id="run-m1", deliverable_type="blog_posts")]}
    second = {"import_id": "ab" * 32, "chunk": 1, "chunks": 2,
              "source": {"file": "credit_ledger.csv", "first_line": 5, "last_line": 6},
              "rows": [ledger_row(5, "released", 300, 10500, "2026-03-03T10:05:00Z",
                                  activity_run_id="run-m1"),
                       ledger_row(6, "consumed", -200, 10300, "2026-03-03T10:05:00Z",
                                  activity_run_id="run-m1")],
              "expected_balance": {"credits_monthly": 10000, "credits_available": 10300,
                                   "credits_reserved": 0, "credits_consumed": 200,
                                   "credits_topup": 300, "period_start": "2026-03-01",
                                   "period_end": "2026-03-31"}}
    s = Script()
    s.add("import.credit_ledger", first, actor="system")
    s.add("import.credit_ledger", second, actor="system")
    s.add("import.credit_ledger", first, actor="system")
    s.add("credits.reserve", {"reservation_id": "r-live", "credits": 1000})
    scripts["import-ledger"] = s

    # Its top-up order imported after it (paid: its credits are the ledger's
    # topup entry), a pending one, then the paid one's webhook again and
    # its refund.
    def order_row(line, order_id, status, credits, **extra):
        row = {"line": line, "topup_order_id": order_id, "status": status, "credits": credits,
               "amount_minor": credits * 100, "currency": "INR",
               "created_at": "2026-03-02T09:00:00Z", "expires_at": "2026-03-31T23:59:59Z"}
        row.update(extra)
        return row
    orders = {"import_id": "ef" * 32, "chunk": 0, "chunks": 1,
              "source": {"file": "credit_topup_orders.csv", "first_line": 2, "last_line": 3},
              "rows": [order_row(2, "order_M1", "paid", 500, paid_at="2026-03-02T09:30:00Z"),
                       order_row(3, "order_M2", "pending", 200)]}
    s = Script()
    s.add("import.credit_ledger", dict(first, chunks=1, rows=first["rows"][:2],
                                       source={"file": "credit_ledger.csv", "first_line": 2,
                                               "last_line": 3}), actor="system")
    s.add("import.credit_topup_orders", orders, actor="system")
    s.add("import.credit_topup_orders", orders, actor="system")
    s.add("topup_order.pay", {"topup_order_id": "order_M1"})
    s.add("topup_order.refund", {"topup_order_id": "order_M1"})
    scripts["import-orders"] = s

    # LLM calls imported in two chunks, one of them re-sent, then a live call
    # reusing an imported id and a cap the imported spend has reached.
    def llm_row(line, call_id, created_on, cost):
        return {"line": line, "llm_call_id": call_id, "activity_run_id": "run-m1",
                "adapter_type": "claude", "model_id": "claude-sonnet-4-6",
                "prompt_hash": "c" * 64, "input_tokens": 900, "output_tokens": 120,
                "cost_usd": cost, "duration_ms": 1800, "created_on": created_on}
    calls = {"import_id": "fa" * 32, "chunk": 0, "chunks": 2,
             "source": {"file": "llm_calls.csv", "first_line": 2, "last_line": 3},
             "rows": [llm_row(2, "llm-m1", "2025-12-03T10:00:00Z", "0.031250"),
                      llm_row(3, "llm-m2", "2026-03-03T10:00:00.5+05:30", "1.5")]}
    calls_tail = dict(calls, chunk=1,
                      source={"file": "llm_calls.csv", "first_line": 4, "last_line": 4},
                      rows=[llm_row(4, "llm-m3", "2026-03-04T10:00:00Z", "0")])
    s = Script()
    s.add("import.llm_calls", calls, actor="system")
    s.add("import.llm_calls", calls_tail, actor="system")
    s.add("import.llm_calls", calls, actor="system")
    s.add("usage.record_llm_call", {"llm_call_id": "llm-m2", "adapter_type": "openai",
                                    "model_id": "gpt-4o", "input_tokens": 1, "output_tokens": 1,
                                    "cost_usd": "0.01"})
    s.add("tenant.set_spend_cap", {"monthly_spend_cap_usd": "1.5"}, actor="support:maria")
    scripts["import-llm-calls"] = s

    # Audit rows of the four shapes imported (a year back), re-sent, then a
    # live record of the same time (refused: live records are bounded).
    audit = {"import_id": "fb" * 32, "chunk": 0, "chunks": 1,
             "source": {"file": "audit_logs.csv", "first_line": 2, "last_line": 5},
             "rows": [{"line": 2, "record": {"operation": "create_media_buy", "principal_id": "p-1",
                                             "adapter_id": "gam", "success": False,
                                             "details": {"buy": "b-1"},
                                             "timestamp": "2025-03-02T09:00:00Z"}},
                      {"line": 3, "record": {"action": "campaign.update", "user_id": 42,
                                             "ip_address": "10.0.0.1",
                                             "timestamp": "2025-03-02T09:01:00Z"}},
                      {"line": 4, "record": {"action": "update", "resource_type": "rule",
                                             "old_value": {"on": False}, "new_value": {"on": True},
                                             "changed_fields": ["on"], "http_method": "PATCH",
                                             "created_at": "2025-03-02T09:02:00+05:30"}},
                      {"line": 5, "record": {"event_type": "login", "principal_id": "u-1",
                                             "created_at": "2025-03-02T09:03:00Z"}}]}
    s = Script()
    s.add("import.audit_logs", audit, actor="system")
    s.add("import.audit_logs", audit, actor="system")
    s.add("audit.record", {"operation": "login", "occurred_at": "2025-03-02T09:03:00Z"})
    scripts["import-audit-logs"] = s

    # Media buys with their packages imported in the statuses the platform
    # left them in (a year back), re-sent, then live moves on them: the
    # active one paused, the pending one approved, the completed one refused.
    buys = {"import_id": "fc" * 32, "chunk": 0, "chunks": 1,
            "source": {"file": "media_buys.csv", "first_line": 2, "last_line": 4},
            "rows": [{"line": line, "package_lines": [line + 1], "status": status,
                      "created_at": "2025-03-02T09:0%d:00Z" % line,
                      "media_buy": {"media_buy_id": id_, "principal_id": "pr-1",
                                    "campaign_name": "Spring " + id_, "start_date": "2025-04-01",
                                    "end_date": "2025-06-30",
                                    "packages": [{"package_id": "pk-" + id_,
                                                  "product_id": "prod-1", "budget": "5000.5",
                                                  "pricing": {"cpm": 12.5}}],
                                    "requires_approval": False}}
                     for line, id_, status in [(2, "ib-1", "active"), (3, "ib-2", "pending"),
                                               (4, "ib-3", "completed")]]}
    s = Script()
    s.add("import.media_buys", buys, actor="system")
    s.add("import.media_buys", buys, actor="system")
    s.add("media_buy.pause", {"media_buy_id": "ib-1"})
    s.add("media_buy.approve", {"media_buy_id": "ib-2"})
    s.add("media_buy.resume", {"media_buy_id": "ib-3"})
    scripts["import-media-buys"] = s

    # Approvals imported: a pending one of an imported pending buy (linked:
    # approving it approves the buy), a decided one of a creative, re-sent;
    # then the pending one approved live and the decided one refused.
    approvals = {"import_id": "fd" * 32, "chunk": 0, "chunks": 1,
                 "source": {"file": "approvals.csv", "first_line": 2, "last_line": 3},
                 "rows": [{"line": 2, "status": "pending", "created_on": "2026-11-09T09:00:00Z",
                           "request": {"approval_id": "iap-1",
                                       "subject": {"kind": "media_buy", "id": "ib-2"},
                                       "type": "media_buy", "risk_level": "medium",
                                       "title": "Approve ib-2", "reviewer_id": "u-1",
                                       "expires_at": "2026-11-12T09:00:00Z"}},
                          {"line": 3, "status": "approved", "created_on": "2025-03-01T09:00:00Z",
                           "resolved_at": "2025-03-02T09:00:00Z", "reviewed_by": "u-2",
                           "reviewer_notes": "fine", "chosen_option": "B",
                           "request": {"approval_id": "iap-2",
                                       "subject": {"kind": "creative", "id": "cr-1"},
                                       "type": "creative", "risk_level": "low",
                                       "title": "Banner", "expires_at": "2025-03-04T09:00:00Z"}}]}
    s = Script()
    s.add("import.media_buys", buys, actor="system")
    s.add("import.approvals", approvals, actor="system")
    s.add("import.approvals", approvals, actor="system")
    s.add("approval.approve", {"approval_id": "iap-1", "reviewed_by": "u-1"})
    s.add("approval.reject", {"approval_id": "iap-2", "reviewed_by": "u-1"})
    scripts["import-approvals"] = s
    # Activities imported as the platform left them (work in progress, a
    # to-do, its review step, finished work), re-sent, then live commands
    # going on from the imported statuses (a final one refused).
    activities = {"import_id": "fc" * 32, "chunk": 0, "chunks": 1,
                  "source": {"file": "activities.csv", "first_line": 2, "last_line": 5},
                  "rows": [{"line": 2, "activity": activity("w-1", False), "status": "in_progress",
                            "created_on": "2025-03-02T09:00:00Z",
                            "started_on": "2025-03-02T10:00:00Z"},
                           {"line": 3, "activity": activity("w-2", False), "status": "assigned",
                            "created_on": "2025-03-02T09:01:00Z"},
                           {"line": 4, "activity": dict(activity("r-1", True),
                                                        parent_activity_id="w-1"),
                            "status": "created", "created_on": "2025-03-02T11:00:00Z"},
                           {"line": 5, "activity": activity("w-3", False), "status": "completed",
                            "created_on": "2025-03-02T09:02:00Z",
                            "completed_on": "2025-03-03T09:00:00Z",
                            "updated_on": "2025-03-03T09:00:00Z",
                            "output_summary": {"words": 900}, "output_ref": "64b0"}]}
    s = Script()
    s.add("import.activities", activities, actor="system")
    s.add("import.activities", activities, actor="system")
    s.add("activity.start", {"activity_id": "w-2"})
    s.add("activity.complete", {"activity_id": "w-1"})
    s.add("activity.start", {"activity_id": "w-3"})
    scripts["import-activities"] = s

    # Then the runs: a finished one (history) and a running one whose hold
    # the ledger imported first; the running one finishes live on that hold.
    ledger = {"import_id": "fd" * 32, "chunk": 0, "chunks": 1,
              "source": {"file": "credit_ledger.csv", "first_line": 2, "last_line": 3},
              "rows": [{"line": 2, "type": "allocated", "credits": 1000, "balance_after": 1000,
                        "created_at": "2025-03-01T00:00:00Z"},
                       {"line": 3, "type": "reserved", "credits": -300, "balance_after": 700,
                        "activity_run_id": "run-open", "created_at": "2025-03-02T10:00:00Z"}]}
    runs = {"import_id": "fe" * 32, "chunk": 0, "chunks": 1,
            "source": {"file": "activity_runs.csv", "first_line": 2, "last_line": 3},
            "rows": [{"line": 2, "run_id": "run-done", "activity_id": "w-1", "status": "failed",
                      "adapter_type": "claude", "model_id": "claude-sonnet", "error": "timeout",
                      "input_tokens": 1200, "cost_usd": "0.042318",
                      "started_on": "2025-03-02T09:30:00Z", "ended_on": "2025-03-02T09:40:00Z"},
                     {"line": 3, "run_id": "run-open", "activity_id": "w-1", "status": "running",
                      "started_on": "2025-03-02T10:00:00Z"}]}
    s = Script()
    s.add("import.credit_ledger", ledger, actor="system")
    s.add("import.activities", activities, actor="system")
    s.add("import.activity_runs", runs, actor="system")
    s.add("import.activity_runs", runs, actor="system")
    s.add("credits.release", {"reservation_id": "import:run-open"})
    s.add("activity.finish_run", {"run_id": "run-open", "status": "completed", "credits_used": 200,
                                  "cost_usd": "0.5"})
    scripts["import-activity-runs"] = s

    # USD spend: LLM calls, tool calls and usage records counted into the
    # month's spend; a cap set by support stops the next run; an agent may
    # not set it; a duplicate call id; too many decimals.
    s = Script()
    s.add("credits.allocate", ALLOCATE, actor="system")
    s.add("tenant.set_spend_cap", {"monthly_spend_cap_usd": "0.0500"}, actor="support:maria")
    s.add("tenant.set_spend_cap", {"monthly_spend_cap_usd": 1}, actor="agent:planner")
    s.add("usage.record_llm_call", {"llm_call_id": "llm-1", "activity_run_id": "run-1",
                                    "adapter_type": "claude", "model_id": "claude-sonnet-4-6",
                                    "prompt_hash": "a" * 64, "response_hash": "B" * 64,
                                    "input_tokens": 1200, "output_tokens": 300,
                                    "cost_usd": "0.031250", "duration_ms": 2400},
          actor="agent:copywriter")
    s.add("usage.record_llm_call", {"llm_call_id": "llm-1", "adapter_type": "claude",
                                    "model_id": "claude-sonnet-4-6", "input_tokens": 1,
                                    "output_tokens": 1, "cost_usd": 0.000001})
    s.add("usage.record_tool_call", {"tool_call_id": "tool-1", "activity_run_id": "run-1",
                                     "tool_name": "google_search_console",
                                     "method": "getKeywordRankings", "input": {"site": "acme"},
                                     "output": {"rows": 3}, "status": "success",
                                     "duration_ms": 800, "cost_usd": "0.02"})
    s.add("usage.record", {"usage_record_id": "u-1", "subscription_id": "sub-1",
                           "billing_unit": "agent_run", "quantity": "3", "unit_price": "0.0125",
                           "currency": "USD"})
    s.add("usage.record_llm_call", {"llm_call_id": "llm-2", "adapter_type": "openai",
                                    "model_id": "gpt-4o", "input_tokens": 1, "output_tokens": 1,
                                    "cost_usd": "0.0000001"})
    s.add("tenant.set_spend_cap", {"monthly_spend_cap_usd": None}, actor="admin:ops")
    scripts["usage-spend"] = s

    s = Script()
    s.add("credits.allocate", {"credits_monthly": 31000, "period_start": "2026-03-01",
                               "period_end": "2026-03-31", "timezone": "America/New_York"},
          at="2026-03-05T00:00:00Z")
    s.add("credits.reserve", {"reservation_id": "r1", "credits": 1}, at="2026-06-01T04:00:00Z")
    scripts["credits-dst-renewals"] = s

    s = Script()
    s.add("media_buy.create", buy("mb-1", True, currency="EUR", risk_level="high",
                                  reviewer_id="user:rita"))
    s.add("approval.approve", decision("mb-1:approval", notes="fine", chosen_option="A"))
    s.add("media_buy.activate", {"media_buy_id": "mb-1"})
    s.add("media_buy.pause", {"media_buy_id": "mb-1", "reason": "pacing"})
    s.add("media_buy.resume", {"media_buy_id": "mb-1"})
    s.add("media_buy.complete", {"media_buy_id": "mb-1"})
    s.add("media_buy.create", buy("mb-2", False, currency="JPY"))
    s.add("media_buy.create", buy("mb-3", False, currency="KWD"))
    s.add("media_buy.approve", {"media_buy_id": "mb-3"})
    s.add("media_buy.fail", {"media_buy_id": "mb-3", "reason": "creative rejected"})
    scripts["media-buys"] = s

    s = Script()
    s.add("approval.request", {"approval_id": "a-1", "subject": {"kind": "creative", "id": "cr-1"},
                               "type": "creative", "risk_level": "critical", "title": "Review",
                               "content_ref": "s3://bucket/cr-1.png"})
    s.add("approval.assign", {"approval_id": "a-1", "reviewer_id": "user:lee"})
    s.add("approval.send_to_client", {"approval_id": "a-1",
                                      "sent_to_client_at": "2026-11-10T12:00:00Z"})
    s.add("approval.request_revision", decision("a-1", notes="brighter"))
    s.add("approval.request", {"approval_id": "a-2", "subject": {"kind": "media_buy", "id": "x"},
                               "type": "media_buy", "risk_level": "low", "title": "Buy"})
    s.add("approval.reject", decision("a-2"))
    scripts["approvals"] = s

    s = Script()
    s.add("credits.allocate", ALLOCATE, actor="system")
    s.add("activity.create", activity("w-1", False, due_date="2026-11-20",
                                      input_data={"brief": "winter"}))
    s.add("activity.assign", {"activity_id": "w-1", "assignee_type": "agent",
                              "assignee_agent_role": "designer"})
    s.add("activity.start", {"activity_id": "w-1"}, actor="agent:designer")
    s.add("activity.start_run", {"activity_id": "w-1", "run_id": "run-1", "estimated_credits": 800,
                                 "adapter_type": "claude", "model_id": "claude-sonnet",
                                 "session_id": "s-1"}, actor="agent:designer")
    s.add("activity.finish_run", {"run_id": "run-1", "status": "completed", "credits_used": 640,
                                  "input_tokens": 1200, "output_tokens": 300, "duration_ms": 4200,
                                  "cost_usd": "0.042318"}, actor="agent:designer")
    s.add("activity.submit_for_approval", {"activity_id": "w-1", "reviewer_id": "user:kim",
                                           "priority": "urgent", "note": "ready"})
    s.add("approval.request_revision", decision("w-1:approval:1", notes="shorter"))
    s.add("activity.start", {"activity_id": "w-1"})
    s.add("activity.submit_for_approval", {"activity_id": "w-1"})
    s.add("approval.approve", decision("w-1:approval:2"))
    s.add("activity.complete", {"activity_id": "w-1", "output_summary": {"words": 42},
                                "output_ref": "s3://out/w-1"})
    scripts["activity-review-flow"] = s

    s = Script()
    s.add("credits.allocate", ALLOCATE, actor="system")
    s.add("activity.create", activity("w-2", False, priority="medium"))
    s.add("activity.start", {"activity_id": "w-2"})
    s.add("activity.start_run", {"activity_id": "w-2", "run_id": "run-2", "estimated_credits": 50000})
    s.add("activity.start_run", {"activity_id": "w-2", "run_id": "run-3", "estimated_credits": 100,
                                 "expires_at": "2026-11-10T13:00:00Z"})
    s.add("credits.release", {"reservation_id": "run-3"})
    s.add("activity.finish_run", {"run_id": "run-3", "status": "failed", "credits_used": 0,
                                  "error": "timeout", "cost_usd": 0.5})
    s.add("activity.create", activity("g-1", True))
    s.add("activity.submit_for_approval", {"activity_id": "g-1"})
    s.add("activity.fail", {"activity_id": "w-2", "note": "gave up"})
    s.add("activity.cancel", {"activity_id": "g-1"})
    s.add("activity.create", activity("w-3", False, parent_activity_id="w-2"))
    scripts["activity-runs-and-gates"] = s

    s = Script()
    s.add("tenant.configure", {"escalation_reviewer_id": "user:boss"}, actor="admin:ops")
    s.add("activity.create", activity("w-4", False))
    s.add("activity.start", {"activity_id": "w-4"})
    s.add("activity.submit_for_approval", {"activity_id": "w-4",
                                           "approval_expires_at": "2026-11-10T13:00:00Z",
                                           "escalate_to": "user:lead"})
    s.add("approval.request", {"approval_id": "a-9", "subject": {"kind": "activity", "id": "w-4"},
                               "type": "content_review", "risk_level": "medium", "title": "T",
                               "expires_at": "2026-11-10T12:30:00Z"})
    # Three days later the reviews have expired and been escalated.
    s.add("approval.approve", decision("w-4:approval:1"), at="2026-11-13T12:00:00Z")
    s.add("tenant.configure", {"escalation_reviewer_id": None}, actor="admin:ops",
          at="2026-11-13T12:00:00Z")
    scripts["escalation"] = s

    s = Script()
    s.add("audit.record", {"operation": "login", "resource_type": "session", "resource_id": "s-1",
                           "principal_id": "user:alice", "principal_name": "Alice",
                           "success": True, "details": {"mfa": True}})
    s.add("audit.record", {"action": "update", "resource_type": None, "resource_id": None,
                           "user_id": 42, "success": False, "error_message": "denied",
                           "ip_address": "2001:db8::1", "user_agent": "curl/8",
                           "request_id": "req-1", "endpoint": "/api/x", "http_method": "PUT",
                           "old_value": {"a": 1}, "new_value": [1, 2.5, "x", None],
                           "changed_fields": ["a"], "occurred_at": "2026-11-10T11:59:00Z"})
    s.add("audit.record", {"event_type": "export", "timestamp": "2026-11-03T12:00:00+05:30",
                           "adapter_id": "stratum"})
    s.add("audit.record", {"operation": "late", "created_at": "2026-10-01T00:00:00Z"})
    scripts["audit"] = s

    s = Script()
    s.add("credits.allocate", ALLOCATE, actor="system")
    s.add("credits.reserve", {"reservation_id": "r1", "credits": 10}, expected_version=1,
          correlation_id="corr-1")
    s.add("credits.reserve", {"reservation_id": "r2", "credits": 10}, expected_version=1)
    s.add("credits.reserve", {"reservation_id": "r3", "credits": 10.5})
    s.add("credits.reserve", {"reservation_id": "r4"})
    s.add("credits.explode", {})
    s.add("credits.reserve", {"reservation_id": "r5", "credits": 1}, actor="nobody")
    s.add("credits.reserve", {"reservation_id": "r6", "credits": 1}, tenant=OTHER)
    s.raw('{"command_id":"c90","command_id":"c91","type":"credits.release","tenant_id":"%s",'
          '"actor":"system","issued_at":"2026-11-10T12:00:00Z","payload":{}}' % TENANT, key=TENANT)
    s.raw('{"command_id":"c92","type":"credits.topup","tenant_id":"%s","actor":"system",'
          '"issued_at":"2026-11-10T12:00:00Z","payload":{"topup_order_id":"o","credits":'
          '0.10000000000000001}}' % TENANT, key=TENANT)
    s.raw('{"command_id":"c93","type":"credits.topup","tenant_id":"%s","actor":"system",'
          '"issued_at":"yesterday","payload":{}}' % TENANT.upper(), key=TENANT)
    s.raw('{"command_id":"c94","tenant_id":"%s"}' % TENANT, key=OTHER)
    s.raw('{"command_id":', key=TENANT)
    s.raw("")
    s.raw(b"\xff\xfe not json")
    s.raw('{"command_id":"c95","tenant_id":"%s","payload":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['
          % TENANT)
    scripts["refusals"] = s

    # One of every command type alone (most are rejected without state: the
    # typed parsers still read them).
    every = {
        "credits.allocate": ALLOCATE,
        "credits.topup": {"topup_order_id": "o-1", "credits": 1},
        "credits.reserve": {"reservation_id": "r-1", "credits": 1},
        "credits.consume": {"reservation_id": "r-1", "credits": 1},
        "credits.release": {"reservation_id": "r-1"},
        "credits.refund": {"credits": 1, "note": "n"},
        "credits.adjust": {"credits": 1, "note": "n"},
        "media_buy.create": buy("mb-9", False),
        "media_buy.approve": {"media_buy_id": "mb-9"},
        "media_buy.activate": {"media_buy_id": "mb-9"},
        "media_buy.pause": {"media_buy_id": "mb-9"},
        "media_buy.resume": {"media_buy_id": "mb-9"},
        "media_buy.complete": {"media_buy_id": "mb-9"},
        "media_buy.fail": {"media_buy_id": "mb-9", "reason": "r"},
        "approval.request": {"approval_id": "a-1", "subject": {"kind": "activity", "id": "w"},
                             "type": "content_review", "risk_level": "high", "title": "t"},
        "approval.assign": {"approval_id": "a-1", "reviewer_id": "user:lee"},
        "approval.approve": decision("a-1"),
        "approval.reject": decision("a-1"),
        "approval.request_revision": decision("a-1"),
        "approval.send_to_client": {"approval_id": "a-1"},
        "activity.create": activity("w-1", False),
        "activity.assign": {"activity_id": "w-1", "assignee_type": "human",
                            "assignee_user_id": "user:kim"},
        "activity.start": {"activity_id": "w-1"},
        "activity.submit_for_approval": {"activity_id": "w-1"},
        "activity.complete": {"activity_id": "w-1"},
        "activity.fail": {"activity_id": "w-1"},
        "activity.cancel": {"activity_id": "w-1"},
        "activity.start_run": {"activity_id": "w-1", "run_id": "run-1", "estimated_credits": 1},
        "activity.finish_run": {"run_id": "run-1", "status": "timed_out", "credits_used": 0},
        "audit.record": {"operation": "o"},
        "tenant.configure": {"escalation_reviewer_id": "user:boss"},
        "topup_order.create": {"topup_order_id": "o-2", "credits": 1, "amount_minor": 100},
        "topup_order.pay": {"topup_order_id": "o-2"},
        "topup_order.fail": {"topup_order_id": "o-2"},
        "topup_order.refund": {"topup_order_id": "o-2"},
        "tenant.set_spend_cap": {"monthly_spend_cap_usd": "10"},
        "usage.record_llm_call": {"llm_call_id": "l-2", "adapter_type": "ollama",
                                  "model_id": "llama3", "input_tokens": 0, "output_tokens": 0,
                                  "cost_usd": 0},
        "usage.record_tool_call": {"tool_call_id": "t-2", "tool_name": "crm", "method": "get",
                                   "status": "error", "error": "timeout"},
        "import.credit_ledger": {"import_id": "cd" * 32, "chunk": 0, "chunks": 1,
                                 "source": {"file": "l.csv", "first_line": 2, "last_line": 2},
                                 "rows": [{"line": 2, "type": "adjusted", "credits": 5,
                                           "balance_after": 5, "created_at": "2025-01-01T00:00:00Z"}]},
        "import.credit_topup_orders": {"import_id": "ce" * 32, "chunk": 0, "chunks": 1,
                                       "source": {"file": "o.csv", "first_line": 2,
                                                  "last_line": 2},
                                       "rows": [{"line": 2, "topup_order_id": "o-3",
                                                 "status": "failed", "credits": 5,
                                                 "amount_minor": 500, "currency": "INR",
                                                 "created_at": "2025-01-01T00:00:00Z"}]},
        "import.llm_calls": {"import_id": "cf" * 32, "chunk": 0, "chunks": 1,
                             "source": {"file": "c.csv", "first_line": 2, "last_line": 2},
                             "rows": [{"line": 2, "llm_call_id": "l-3", "adapter_type": "webhook",
                                       "model_id": "m", "input_tokens": 0, "output_tokens": 0,
                                       "cost_usd": 0, "created_on": "2025-01-01T00:00:00Z"}]},
        "import.audit_logs": {"import_id": "d0" * 32, "chunk": 0, "chunks": 1,
                              "source": {"file": "a.csv", "first_line": 2, "last_line": 2},
                              "rows": [{"line": 2, "record": {"action": "login",
                                                              "created_at": "2025-01-01T00:00:00Z"}}]},
        "import.media_buys": {"import_id": "d1" * 32, "chunk": 0, "chunks": 1,
                              "source": {"file": "b.csv", "first_line": 2, "last_line": 2},
                              "rows": [{"line": 2, "status": "paused",
                                        "created_at": "2025-01-01T00:00:00Z",
                                        "media_buy": {"media_buy_id": "mb-i", "principal_id": "p",
                                                      "campaign_name": "c",
                                                      "start_date": "2025-01-01",
                                                      "end_date": "2025-01-31",
                                                      "packages": [{"package_id": "k",
                                                                    "product_id": "p",
                                                                    "budget_minor": 100}]}}]},
        "import.approvals": {"import_id": "d2" * 32, "chunk": 0, "chunks": 1,
                             "source": {"file": "p.csv", "first_line": 2, "last_line": 2},
                             "rows": [{"line": 2, "status": "expired",
                                       "created_on": "2025-01-01T00:00:00Z",
                                       "request": {"approval_id": "ap-i",
                                                   "subject": {"kind": "creative", "id": "c"},
                                                   "type": "creative", "risk_level": "low",
                                                   "title": "t",
                                                   "expires_at": "2025-01-04T00:00:00Z"}}]},
        "usage.record": {"usage_record_id": "u-2", "billing_unit": "token", "quantity": 1000,
                         "unit_price": "0.000002"},
        "import.activities": {"import_id": "d1" * 32, "chunk": 0, "chunks": 1,
                              "source": {"file": "w.csv", "first_line": 2, "last_line": 2},
                              "rows": [{"line": 2, "activity": activity("w-9", False),
                                        "status": "cancelled",
                                        "created_on": "2025-01-01T00:00:00Z"}]},
        "import.activity_runs": {"import_id": "d2" * 32, "chunk": 0, "chunks": 1,
                                 "source": {"file": "r.csv", "first_line": 2, "last_line": 2},
                                 "rows": [{"line": 2, "run_id": "run-9", "activity_id": "w-9",
                                           "status": "timed_out",
                                           "started_on": "2025-01-01T00:00:00Z",
                                           "ended_on": "2025-01-01T01:00:00Z"}]},
    }
    schemas = sorted(name[:-5] for name in os.listdir(os.path.join(ROOT, "schemas", "commands")))
    missing = sorted(set(schemas) - set(every))
    if missing:
        sys.exit("make_seeds.py: no seed for command types " + ", ".join(missing))
    for type_, payload in every.items():
        scripts["one-" + type_] = Script().add(type_, payload)

    # The catalogue v1 fixture's commands (v1 shapes), per tenant, in runs of
    # eight as the v1 engine received them.
    by_tenant = {}
    with open(os.path.join(FIXTURE, "commands.jsonl")) as lines:
        for line in lines:
            message = json.loads(line)
            by_tenant.setdefault(message["key"], []).append(
                (message["key"] + "\t" + message["payload"]).encode())
    for tenant, messages in sorted(by_tenant.items()):
        for start in range(0, len(messages), 8):
            script = Script()
            script.lines = messages[start:start + 8]
            scripts["v1-%s-%02d" % (tenant[:8], start)] = script
    return scripts


# ---- record_fuzz: commit records as they are on ledgerflow.events -------------

def records():
    seeds = {}
    with open(os.path.join(FIXTURE, "events.jsonl")) as lines:
        for line in lines:
            message = json.loads(line)
            record = json.loads(message["payload"])
            types = "+".join(sorted({event["type"] for event in record["events"]}))
            name = "v1-%03d-%s" % (message["offset"] + 1000 * message["partition"], types)
            seeds[name[:80]] = message["payload"]
    return seeds


# ---- json_fuzz: JSON, amounts, timestamps, dates ------------------------------

JSON_SEEDS = {
    "object": '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
    "duplicate-key": '{"a":1,"a":2}',
    "nested-duplicate": '{"a":{"b":1,"c":{"b":2,"b":3}}}',
    "many-keys": "{" + ",".join('"k%d":%d' % (i, i) for i in range(40)) + "}",
    "deep": "[" * 33 + "]" * 33,
    "deep-objects": '{"a":' * 20 + "1" + "}" * 20,
    "inexact": "0.10000000000000001",
    "exact": "5000.5",
    "big-integer": "18446744073709551616",
    "int64-min": "-9223372036854775808",
    "uint64-max": "18446744073709551615",
    "exponent": "1e22",
    "huge-exponent": "1e400",
    "tiny": "4.9e-324",
    "negative-zero": "-0.0",
    "nul-escape": '"a\\u0000b"',
    "lone-surrogate": '"\\udc00"',
    "surrogate-pair": '"\\ud83d\\ude00"',
    "bad-utf8": b'"\xc3\x28"',
    "trailing-data": '{} {}',
    "nul-after": b"{}\x00junk",
    "whitespace-number": " \t12.50\n",
    "string-amount": '"5000.50"',
    "empty": "",
    "amount-scaled": "-0.005",
    "amount-exponent": "12.5e-1",
    "amount-max": "9223372036854775807",
    "amount-micros": "0.042318",
    "amount-long": "0." + "0" * 60 + "1",
    "rfc3339-utc": "2026-11-10T12:00:00Z",
    "rfc3339-offset": "2026-03-29T01:30:00.123456789+05:30",
    "rfc3339-lower": "2026-11-10t12:00:00z",
    "rfc3339-max": "9999-12-31T23:59:59.999Z",
    "rfc3339-min-offset": "1970-01-01T00:00:00+00:01",
    "rfc3339-leap": "2024-02-29T23:59:59-23:59",
    "date": "2026-12-31",
    "date-leap": "2000-02-29",
    "date-not": "2100-02-29",
    "excerpt-utf8": "caf\u00e9 \u2603 \U0001f600 \x7f\x01",
}


# ---- tzif_fuzz: small zoneinfo files ------------------------------------------

ZONES = ["UTC", "Asia/Kolkata", "Pacific/Apia", "Asia/Tehran", "Australia/Lord_Howe",
         "America/Santiago", "Africa/Casablanca", "America/Havana", "Europe/Dublin"]


# ---- dictionaries: the words of the contract ----------------------------------

def schema_words(kind):
    """Property names, enum strings and type names of schemas/<kind>/."""
    words = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    words.update(value)
                if key == "enum" and isinstance(value, list):
                    words.update(v for v in value if isinstance(v, str))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    directory = os.path.join(ROOT, "schemas", kind)
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name)) as source:
            walk(json.load(source))
        words.add(name.split(".json")[0].split(".v")[0])
    return words


def write_dict(harness, words):
    def escape(text):
        return "".join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\' else "\\x%02x" % ord(c)
                       for c in text)
    lines = ["# libFuzzer dictionary for %s, written by fuzz/make_seeds.py from schemas/." % harness]
    for word in sorted(words):
        lines.append('"%s"' % escape('"%s":' % word))
        lines.append('"%s"' % escape('"%s"' % word))
    with open(os.path.join(ROOT, "fuzz", harness + ".dict"), "w") as out:
        out.write("\n".join(lines) + "\n")


def main():
    for harness in ("command_fuzz", "record_fuzz", "json_fuzz", "tzif_fuzz"):
        clear_generated(harness)
    envelope = schema_words("envelopes")
    write_dict("command_fuzz", schema_words("commands") | envelope)
    write_dict("record_fuzz", schema_words("events") | envelope)
    for name, script in command_scripts().items():
        write("command_fuzz", "seed-" + name, script.text())
    for name, record in records().items():
        write("record_fuzz", "seed-" + name, record)
    for name, text in JSON_SEEDS.items():
        write("json_fuzz", "seed-" + name, text)
    for zone in ZONES:
        with open(os.path.join(ZONEINFO, zone), "rb") as source:
            write("tzif_fuzz", "seed-" + zone.replace("/", "-"), source.read())
    # Truncated and footer-less variants of one real file.
    with open(os.path.join(ZONEINFO, "Asia/Kolkata"), "rb") as source:
        kolkata = source.read()
    write("tzif_fuzz", "seed-truncated-header", kolkata[:30])
    write("tzif_fuzz", "seed-truncated-body", kolkata[: len(kolkata) // 2])
    write("tzif_fuzz", "seed-no-footer", kolkata[: kolkata.rindex(b"\n", 0, len(kolkata) - 1) + 1])
    write("tzif_fuzz", "seed-zone-name", "America/Argentina/Buenos_Aires")
    write("tzif_fuzz", "seed-zone-name-dots", "../../etc/passwd")
    for harness in sorted(os.listdir(CORPUS)):
        directory = os.path.join(CORPUS, harness)
        if not os.path.isdir(directory):
            continue
        files = os.listdir(directory)
        size = sum(os.path.getsize(os.path.join(directory, name)) for name in files)
        print("%s: %d seeds, %d bytes" % (harness, len(files), size))


if __name__ == "__main__":
    main()
