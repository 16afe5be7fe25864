#!/usr/bin/env python3
"""Cost per million orders: ours (per stage) and the seeds' design.

Reads the published prices (docs/cost/prices.json), the quantities counted
from the code for one order of each outcome (docs/cost/measured.json, made by
scripts/cost-measure.sh), the assumptions that cannot be counted locally
(docs/cost/model.json) and each stage's memory, architecture and workflow
from contracts/stages.json, which the CDK app deploys. Prints the table per service, the ratio to the seeds'
design, and the memory setting that minimises cost without slowing the order
path.

  scripts/cost.py              # print the tables
  scripts/cost.py --markdown   # also rewrite the generated part of docs/cost.md
  scripts/cost.py --json       # the figures as JSON

Stdlib only (python3 or .venv/bin/python).
"""
import argparse
import json
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COST_DIR = ROOT / "docs" / "cost"
STAGES_JSON = ROOT / "contracts" / "stages.json"
DOC = ROOT / "docs" / "cost.md"
BEGIN, END = "<!-- cost.py:begin -->", "<!-- cost.py:end -->"
GB = 1024 ** 3
TARGET_RATIO = 0.2
SERVICES = ["Lambda", "API Gateway REST", "DynamoDB", "DynamoDB Streams", "EventBridge Pipes", "SQS", "SNS",
            "Step Functions", "CloudWatch Logs", "CloudWatch metrics API", "X-Ray"]


def load(name, required=True):
    """A committed input of docs/cost/; None for a missing optional one."""
    path = COST_DIR / name
    if not required and not path.exists():
        return None
    return json.loads(path.read_text())


def stage_configs(text=None):
    """Each stage's memoryMb, architecture and workflow, from contracts/stages.json
    (or `text`, that file's content)."""
    raw = json.loads(STAGES_JSON.read_text() if text is None else text)
    stages = {}
    for name in ("dev", "staging", "prod"):
        s = raw["stages"].get(name)
        if s is None:
            raise SystemExit(f"contracts/stages.json: no '{name}' stage")
        stages[name] = {
            "memory_mb": int(s["lambda"]["memoryMb"]),
            "architecture": s["lambda"]["architecture"],
            "workflow": s["workflow"]["type"],
            "sfn_log_all": s["workflow"]["logLevel"] == "ALL",
        }
    return stages


class Inputs:
    def __init__(self, prices=None, measured=None, model=None, cold_starts=None):
        self.p = {k: v["usd"] for k, v in (prices or load("prices.json"))["prices"].items()}
        self.m = measured or load("measured.json")
        self.model = model or load("model.json")
        self.cold_starts = cold_starts if cold_starts is not None else load("cold-starts.json", required=False)
        self.node_cpu = self.node_cpu_ms()

    def rtt(self, service):
        return self.model["round_trip_ms"][service]

    def node_cpu_ms(self):
        """The Node 22 peer's CPU per warm invocation at full CPU, measured by
        `scripts/bench.sh --only peers` (docs/cost/cold-starts.json), and where
        it comes from; None when that file has no such figure."""
        s = self.model["seeds"]
        for p in (self.cold_starts or {}).get("profiles", []):
            if p["profile"] != "full CPU":
                continue
            for f in p["functions"]:
                if f["name"] == s["cpu_peer"] and (f.get("warm_cpu_ms") or {}).get("median"):
                    return f["warm_cpu_ms"]["median"], self.cold_starts["source"]
        return None


def duration_ms(cpu_ms, mem_mb, full_mb, calls_ms):
    """CPU share in proportion to memory below a full vCPU; waits do not scale."""
    return cpu_ms * max(1.0, full_mb / mem_mb) + calls_ms


def our_function_durations(inp, outcome, mem_mb):
    """Per function of `outcome`: (invocations per order, duration ms per invocation).

    process-orders takes a batch per invocation and handles its records
    concurrently (orders-sqs-batch: join_all): the batch's CPU adds up, its
    round trips overlap, so one invocation lasts batch x CPU + one record's
    round trips, and an order is 1/batch of an invocation."""
    full = inp.model["full_vcpu_mb"]["value"]
    ext = inp.model["external_calls"]
    batch = inp.model["processor_batch"]["value"]
    ddb = inp.m["dynamodb"].get(outcome, {})
    out = {}
    for f, v in inp.m["functions"][outcome].items():
        inv = v["invocations_per_order"]
        ddb_calls = sum(ddb.get(f, {}).get("requests", {}).values()) / inv
        calls = ddb_calls * inp.rtt("dynamodb") + sum(n * inp.rtt(s) for s, n in ext.get(f, {}).items())
        if f == "process-orders":
            out[f] = (inv / batch, duration_ms(v["cpu_ms_p50"] * batch, mem_mb, full, calls))
        else:
            out[f] = (inv, duration_ms(v["cpu_ms_p50"], mem_mb, full, calls))
    return out


def lambda_cost(inv_requests, inv_billed, mem_mb, dur_ms, gb_s_price, req_price):
    gb_s = inv_billed * math.ceil(dur_ms) / 1000.0 * mem_mb / 1024.0
    return gb_s * gb_s_price + inv_requests * req_price


def lambda_gb_second_price(p, architecture):
    return p["lambda_x86_gb_second"] if architecture == "x86_64" else p["lambda_arm64_gb_second"]


def ours_outcome(inp, outcome, mem_mb, workflow, sfn_log_all, architecture="arm64"):
    """Cost of one order of `outcome` per service, USD."""
    p, model = inp.p, inp.model
    key_share = model["idempotency_key_share"]["value"]
    durs = our_function_durations(inp, outcome, mem_mb)
    c = dict.fromkeys(SERVICES, 0.0)
    # Lambda.
    for f, (inv, dur) in durs.items():
        c["Lambda"] += lambda_cost(inv, inv, mem_mb, dur, lambda_gb_second_price(p, architecture), p["lambda_request"])
    c["API Gateway REST"] = p["apigw_rest_request"]
    # DynamoDB: the create of this outcome with a key; without one for the other share.
    ddb = inp.m["dynamodb"][outcome]
    no_key = inp.m["dynamodb"]["completed_without_idempotency_key"]["create-order"]
    stream_records = 0.0
    for f, t in ddb.items():
        w, r, items = t["write_units"], t["read_units"], t["item_writes"]
        if f == "create-order":
            w = key_share * w + (1 - key_share) * no_key["write_units"]
            r = key_share * r + (1 - key_share) * no_key["read_units"]
            items = key_share * items + (1 - key_share) * no_key["item_writes"]
        c["DynamoDB"] += w * p["dynamodb_write_request_unit"] + r * p["dynamodb_read_request_unit"]
        stream_records += items
    # Two pipes read every record of the stream, several records per GetRecords.
    per_call = model["stream_records_per_get_records"]["value"]
    c["DynamoDB Streams"] = 2 * stream_records / per_call * p["dynamodb_streams_read_request_unit"]
    status_changes = inp.m["functions"][outcome]["notify-customer"]["invocations_per_order"]
    c["EventBridge Pipes"] = (1 + status_changes) * p["pipes_request"]
    c["SQS"] = model["sqs_requests_per_message"]["value"] * p["sqs_standard_request"]
    c["SNS"] = status_changes * p["sns_publish"]
    saga = inp.m["outcomes"][outcome]["saga"]
    transitions = saga["states_entered"] + saga["retries"]
    if workflow == "STANDARD":
        c["Step Functions"] = transitions * p["sfn_standard_transition"]
    else:
        e = model["express"]
        tasks_ms = sum(inv * d for f, (inv, d) in durs.items() if f in ("payments", "inventory", "settle-order"))
        billed_s = math.ceil((tasks_ms + transitions * e["overhead_ms_per_transition"]) / e["increment_ms"]) * e["increment_ms"] / 1000
        c["Step Functions"] = p["sfn_express_request"] + e["memory_gb"] * billed_s * p["sfn_express_gb_second"]
    # Logs: the functions' lines, the platform lines, the access log, the saga's log at ALL.
    plat = model["lambda_platform_log_bytes"]["value"]
    log_bytes = sum(
        v["invocations_per_order"] * (v["stderr_bytes_per_invocation"] + v["stdout_bytes_per_invocation"] + plat)
        for v in inp.m["functions"][outcome].values()
    ) + model["apigw_access_log_bytes"]["value"]
    if sfn_log_all:
        log_bytes += saga["history_bytes"]
    c["CloudWatch Logs"] = log_bytes / GB * p["cloudwatch_logs_ingest_gb"]
    x = model["xray"]
    c["X-Ray"] = x["ours_traces_per_order"] * x["sampling"] * p["xray_trace_recorded"]
    return c, log_bytes


def mix(per_outcome, shares):
    out = dict.fromkeys(SERVICES, 0.0)
    for o, share in shares.items():
        for s in SERVICES:
            out[s] += share * per_outcome[o][s]
    return out


def shares(inp):
    return {k: v for k, v in inp.model["outcome_mix"].items() if k != "note"}


def ours(inp, mem_mb, workflow, sfn_log_all=False, architecture="arm64"):
    per = {o: ours_outcome(inp, o, mem_mb, workflow, sfn_log_all, architecture)[0] for o in shares(inp)}
    return mix(per, shares(inp)), per


def seeds(inp):
    p, s, model = inp.p, inp.model["seeds"], inp.model
    c = dict.fromkeys(SERVICES, 0.0)
    mem = s["memory_mb"]
    gbs_price = lambda_gb_second_price(p, s["architecture"])
    full = model["full_vcpu_mb"]["value"]
    log_bytes = model["apigw_access_log_bytes"]["value"]
    durations = {}
    for f, v in s["functions"].items():
        calls = sum(n * inp.rtt(svc) for svc, n in v["calls"].items())
        # The measured figure is at a full vCPU, the assumed one at 1,024 MB.
        cpu, at_mb = (inp.node_cpu[0], full) if inp.node_cpu else (v["cpu_ms"], 1024)
        dur = duration_ms(cpu, mem, at_mb, calls)
        durations[f] = dur
        inv = v["invocations_per_order"]
        requests = inv / v.get("batch", 1)
        c["Lambda"] += lambda_cost(requests, inv, mem, dur, gbs_price, p["lambda_request"])
        log_bytes += inv * (v["log_bytes"] + s["log_bytes_per_invocation_platform"])
    c["API Gateway REST"] = s["apigw_requests"] * p["apigw_rest_request"]
    c["DynamoDB"] = s["dynamodb"]["write_units"] * p["dynamodb_write_request_unit"] + s["dynamodb"]["read_units"] * p["dynamodb_read_request_unit"]
    c["DynamoDB Streams"] = s["streams_read_units"] * p["dynamodb_streams_read_request_unit"]
    c["EventBridge Pipes"] = s["pipes_requests"] * p["pipes_request"]
    c["SQS"] = s["sqs_requests"] * p["sqs_standard_request"]
    c["SNS"] = s["sns_publishes"] * p["sns_publish"]
    c["Step Functions"] = s["sfn_standard_transitions"] * p["sfn_standard_transition"]
    c["CloudWatch Logs"] = log_bytes / GB * p["cloudwatch_logs_ingest_gb"]
    c["CloudWatch metrics API"] = s["put_metric_data_requests"] * p["cloudwatch_put_metric_data_request"]
    x = model["xray"]
    c["X-Ray"] = x["seeds_traces_per_order"] * x["sampling"] * p["xray_trace_recorded"]
    return c, durations


def memory_sweep(inp, workflow="EXPRESS"):
    """Per candidate memory: cost per million (prod's workflow type) and the
    largest slowdown of any function against a full vCPU."""
    full = inp.model["full_vcpu_mb"]["value"]
    path = inp.model["not_slower_than"]["functions"]
    rows = []
    for mem in inp.model["memory_candidates_mb"]:
        total = sum(ours(inp, mem, workflow)[0].values()) * 1e6
        slow, slow_async, create_ms = 0.0, 0.0, 0.0
        for o in shares(inp):
            at_mem = our_function_durations(inp, o, mem)
            at_full = our_function_durations(inp, o, full)
            for f, (_, d) in at_mem.items():
                if f in path:
                    slow = max(slow, d - at_full[f][1])
                else:
                    slow_async = max(slow_async, d - at_full[f][1])
            create_ms = at_mem["create-order"][1]
        rows.append({"memory_mb": mem, "per_million": total, "max_slowdown_ms": slow,
                     "max_async_slowdown_ms": slow_async, "create_order_ms": create_ms})
    limit = inp.model["not_slower_than"]["ms"]
    ok = [r for r in rows if r["max_slowdown_ms"] <= limit]
    best = min(ok, key=lambda r: r["per_million"]) if ok else None
    return rows, best


def compute(inp=None, config_text=None):
    inp = inp or Inputs()
    stages = stage_configs(config_text)
    columns = {}
    for name, st in stages.items():
        per_order, per_outcome = ours(inp, st["memory_mb"], st["workflow"], st["sfn_log_all"], st["architecture"])
        columns[name] = {"config": st, "per_million": {k: v * 1e6 for k, v in per_order.items()},
                         "outcomes": {o: sum(c.values()) * 1e6 for o, c in per_outcome.items()}}
        columns[name]["total"] = sum(columns[name]["per_million"].values())
    seed_cost, seed_durations = seeds(inp)
    seed = {"per_million": {k: v * 1e6 for k, v in seed_cost.items()}, "durations_ms": seed_durations,
            "node_cpu": inp.node_cpu}
    seed["total"] = sum(seed["per_million"].values())
    seed["total_without_workflow"] = seed["total"] - seed["per_million"]["Step Functions"]
    rows, best = memory_sweep(inp)
    prod = columns["prod"]["total"]
    return {"stages": columns, "seeds": seed, "ratio_prod_to_seeds": prod / seed["total"],
            "target_ratio": TARGET_RATIO, "memory_sweep": rows, "best_memory": best,
            "durations_ms": {o: {f: d for f, (_, d) in our_function_durations(inp, o, stages["prod"]["memory_mb"]).items()}
                             for o in shares(inp)}}


def money(x):
    return f"${x:,.2f}"


def render(r):
    st = r["stages"]
    head = ["service"] + [f"{n} ({c['config']['memory_mb']} MB, {c['config']['workflow'].title()})" for n, c in st.items()] + ["seeds' design (Node, 1,024 MB x86_64, Standard)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in SERVICES:
        cells = [money(st[n]["per_million"][s]) for n in st] + [money(r["seeds"]["per_million"][s])]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines.append("| **total per million orders** | " + " | ".join(f"**{money(st[n]['total'])}**" for n in st) + f" | **{money(r['seeds']['total'])}** |")
    out = ["Cost per million orders, USD, us-east-1 (mix: " + ", ".join(f"{o} {int(s * 100)} %" for o, s in r["mix"].items()) + ").", "", *lines, ""]
    out.append(f"Ratio prod / seeds' design: **{r['ratio_prod_to_seeds']:.3f}** (target ≤ {r['target_ratio']}: "
               + ("met" if r["ratio_prod_to_seeds"] <= r["target_ratio"] else "**MISSED**") + ").")
    out.append(f"(The seeds' design without its Step Functions workflow, i.e. no payment or stock step at all: {money(r['seeds']['total_without_workflow'])}.)")
    node = r["seeds"]["node_cpu"]
    if node:
        out += ["", f"Node's CPU per invocation in the seeds' design: **{node[0]:.2f} ms at a full vCPU** (x 1769/1024 at "
                f"their 1,024 MB), the Node 22 peer's median per warm invocation ({node[1]})."]
    else:
        out += ["", "Node's CPU per invocation in the seeds' design: assumed (model.json `seeds.cpu_note`), no measured peer figure."]
    out += ["", "Per outcome (total per million orders of that outcome):", "",
            "| outcome | " + " | ".join(st) + " |", "|---|" + "---|" * len(st)]
    for o in r["mix"]:
        out.append(f"| {o} | " + " | ".join(money(st[n]["outcomes"][o]) for n in st) + " |")
    out += ["", "Modelled duration per invocation at prod's memory (ms; CPU scaled by memory, plus round trips; process-orders: a batch of 10):", "",
            "| function | " + " | ".join(r["durations_ms"]) + " |", "|---|" + "---|" * len(r["durations_ms"])]
    fns = sorted({f for d in r["durations_ms"].values() for f in d})
    for f in fns:
        out.append(f"| {f} | " + " | ".join(f"{r['durations_ms'][o].get(f, 0):.1f}" if f in r['durations_ms'][o] else "–" for o in r["durations_ms"]) + " |")
    out += ["", "Memory sweep (every function at the same memory, Express, the mix above):", "",
            "| memory | per million orders | create-order ms | create-order slowdown vs 1,769 MB | largest slowdown of an asynchronous step |", "|---|---|---|---|---|"]
    for row in r["memory_sweep"]:
        mark = " ←" if r["best_memory"] and row["memory_mb"] == r["best_memory"]["memory_mb"] else ""
        out.append(f"| {row['memory_mb']} MB{mark} | {money(row['per_million'])} | {row['create_order_ms']:.1f} | "
                   f"{row['max_slowdown_ms']:.1f} ms | {row['max_async_slowdown_ms']:.1f} ms |")
    b = r["best_memory"]
    out += ["", f"Cheapest memory that keeps create-order (the synchronous order path) within {r['not_slower_than']} ms of a full vCPU: "
            f"**{b['memory_mb']} MB** ({money(b['per_million'])} per million orders)." if b else "", ""]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markdown", action="store_true", help="rewrite the generated section of docs/cost.md")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = ap.parse_args(argv)
    inp = Inputs()
    r = compute(inp)
    r["mix"] = shares(inp)
    r["not_slower_than"] = inp.model["not_slower_than"]["ms"]
    if a.json:
        print(json.dumps(r, indent=2, sort_keys=True))
        return 0
    text = render(r)
    print(text)
    if a.markdown:
        doc = DOC.read_text()
        if BEGIN not in doc or END not in doc:
            raise SystemExit(f"{DOC}: markers {BEGIN} / {END} not found")
        pre, rest = doc.split(BEGIN, 1)
        _, post = rest.split(END, 1)
        DOC.write_text(pre + BEGIN + "\n" + text + "\n" + END + post)
        print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
