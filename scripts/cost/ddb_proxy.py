#!/usr/bin/env python3
"""A recording proxy in front of DynamoDB Local, for scripts/cost-measure.sh.

Every DynamoDB JSON request is forwarded unchanged except for
`ReturnConsumedCapacity: INDEXES`, added to the operations that take it, so
DynamoDB Local reports the read and write units each request consumed, for
the table and for each index. The proxy adds them up per *phase* (a label the
measuring program sets before each function's invocation) and answers:

  POST /__phase   body: the label of what follows
  GET  /__report  JSON: per phase, requests per operation, read and write
                  units (table, each GSI), item writes (stream records),
                  failed conditions

Failed conditional writes return no ConsumedCapacity; DynamoDB still charges
them (at least one write unit), so each is counted as one write unit, and a
cancelled transaction as two units per item, listed apart. A successful
transaction is counted at no less than two units per item (see
transaction_floor: DynamoDB Local leaves its Update actions out). Binds 127.0.0.1 only. Stdlib only.
"""
import http.client
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

LOCK = threading.Lock()
STATE = {"phase": "unlabelled", "phases": {}}


def phase_totals(name):
    return STATE["phases"].setdefault(
        name,
        {"requests": {}, "read_units": 0.0, "write_units": 0.0, "table": {"read": 0.0, "write": 0.0},
         "indexes": {}, "item_writes": 0, "failed_conditions": 0},
    )


def add_capacity(totals, op, consumed):
    kind = "read" if op in READS else "write"
    for c in consumed if isinstance(consumed, list) else [consumed]:
        units = float(c.get("CapacityUnits", 0.0))
        totals[f"{kind}_units"] += units
        totals["table"][kind] += float(c.get("Table", {}).get("CapacityUnits", 0.0))
        for name, idx in (c.get("GlobalSecondaryIndexes") or {}).items():
            slot = totals["indexes"].setdefault(name, {"read": 0.0, "write": 0.0})
            slot[kind] += float(idx.get("CapacityUnits", 0.0))


def item_writes(op, request):
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        return 1
    if op == "TransactWriteItems":
        return sum(1 for t in request.get("TransactItems", []) if "ConditionCheck" not in t)
    if op == "BatchWriteItem":
        return sum(len(v) for v in request.get("RequestItems", {}).values())
    return 0


def transaction_floor(totals, request, consumed):
    """DynamoDB Local (2026-01-16) reports no units for the Update actions of
    a TransactWriteItems (a Put-only transaction reports 2 per item; the
    inventory's Put + 2 Updates reports 2), while DynamoDB charges every
    item of a transaction 2 units per KB. So a transaction's table units are
    counted at no less than 2 per written item (items of at most 1 KB; a
    larger Put is reported correctly)."""
    floor = 2.0 * item_writes("TransactWriteItems", request)
    reported = sum(float(c.get("Table", {}).get("CapacityUnits", 0.0)) for c in consumed)
    if reported < floor:
        totals["write_units"] += floor - reported
        totals["table"]["write"] += floor - reported
        totals["transaction_floors"] = totals.get("transaction_floors", 0) + 1


class Proxy(BaseHTTPRequestHandler):
    upstream = ("127.0.0.1", 8000)
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def reply(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__report":
            with LOCK:
                body = json.dumps(STATE["phases"], sort_keys=True).encode()
            return self.reply(200, body)
        self.reply(404, b"{}")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.path == "/__phase":
            with LOCK:
                STATE["phase"] = raw.decode().strip() or "unlabelled"
            return self.reply(200, b"{}")
        target = self.headers.get("X-Amz-Target", "")
        op = target.split(".")[-1]
        request = json.loads(raw or b"{}")
        if op in READS | WRITES:
            request["ReturnConsumedCapacity"] = "INDEXES"
        body = json.dumps(request).encode()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("content-length", "host", "connection")}
        headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        conn.request("POST", self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        out_headers = resp.getheaders()
        conn.close()
        answer = json.loads(data or b"{}")
        with LOCK:
            totals = phase_totals(STATE["phase"])
            totals["requests"][op] = totals["requests"].get(op, 0) + 1
            if resp.status == 200:
                if "ConsumedCapacity" in answer:
                    add_capacity(totals, op, answer["ConsumedCapacity"])
                if op == "TransactWriteItems":
                    transaction_floor(totals, request, answer.get("ConsumedCapacity") or [])
                totals["item_writes"] += item_writes(op, request)
            elif "ConditionalCheckFailed" in answer.get("__type", ""):
                totals["failed_conditions"] += 1
                totals["write_units"] += 1.0
                totals["table"]["write"] += 1.0
            elif "TransactionCanceled" in answer.get("__type", ""):
                # Charged as a transaction of 1 KB items: 2 units per item.
                units = 2.0 * len(request.get("TransactItems", []))
                totals["failed_conditions"] += 1
                totals["write_units"] += units
                totals["table"]["write"] += units
        self.send_response(resp.status)
        for k, v in out_headers:
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
    Proxy.upstream = ("127.0.0.1", upstream_port)
    server = ThreadingHTTPServer(("127.0.0.1", port), Proxy)
    server.serve_forever()


if __name__ == "__main__":
    main()
