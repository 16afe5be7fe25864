"""Places one order down every path of the saga and prints what happened.

    python3 scripts/demo.py URL KEY      (scripts/demo.sh is the usual way in)

URL is the API's base URL (the local host, http://127.0.0.1:3000, or a
stage's ApiUrl output); KEY its API key. Standard library only.

The paths: complete (COMPLETED), declined (tok_decline_card: FAILED
PAYMENT_DECLINED), out-of-stock (an unstocked SKU: FAILED OUT_OF_STOCK after
a refund) and cancelled (POST /orders/{id}/cancel while PENDING: CANCELLED).
The API has no way to hold an order PENDING, so the cancel goes out on the
same connection the moment the order is created. On a stage the pipe's and
the queue's batching windows leave seconds for it; the local host moves an
order on within milliseconds, so a cancel can arrive too late (409
INVALID_STATUS_TRANSITION): then the demo places another order, up to
DEMO_CANCEL_ATTEMPTS times, and lists the late ones too.

On the local host (detected by GET /local/executions answering) the table
also shows the payment record and the saga execution, and checks them; on a
stage only the public API is called. DEMO_API_ONLY=1 skips the detection and
calls only the public API on any host (what the demo does on a stage).

Exit 0 when every path ended as expected; 1 when one did not; 2 when an order
did not reach a terminal status within DEMO_TIMEOUT seconds (default 180);
3 on a usage or connection error.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
UNSTOCKED_SKU = "demo-unstocked-sku"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class DemoError(Exception):
    """A request that could not be made or was answered unexpectedly."""


class Api:
    """One keep-alive connection to the API, with the key on every request."""

    def __init__(self, url: str, key: str):
        u = urlsplit(url.rstrip("/"))
        if u.scheme not in ("http", "https") or not u.hostname:
            raise DemoError(f"URL must be http(s)://host[:port][/stage], not {url!r}")
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port
        self.base = u.path.rstrip("/")
        self.key = key
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self.conn = cls(self.host, self.port, timeout=30)
        return self.conn

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """(status, parsed JSON or None); retries throttling and 5xx a few times."""
        data = json.dumps(body).encode() if body is not None else None
        h = {"x-api-key": self.key, "accept": "application/json", **(headers or {})}
        if data is not None:
            h["content-type"] = "application/json"
        for attempt in range(5):
            try:
                conn = self._connect()
                conn.request(method, self.base + path, data, h)
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException) as e:
                self.close()
                if attempt == 4:
                    raise DemoError(f"{method} {path}: {e}") from e
                time.sleep(0.5 * 2**attempt)
                continue
            if resp.status in RETRY_STATUSES and attempt < 4:
                time.sleep(0.5 * 2**attempt)
                continue
            try:
                return resp.status, json.loads(raw) if raw else None
            except ValueError:
                return resp.status, None
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Row:
    path: str
    order_id: str
    expect_status: str | None
    expect_reason: str | None = None
    expect_payment: str | None = None
    order: dict = field(default_factory=dict)
    payment: str = ""
    saga: str = ""
    problems: list[str] = field(default_factory=list)


def order_body(path: str, sku: str, quantity: int, price: str, token: str | None) -> dict:
    body = {
        "customerId": f"demo-{path}",
        "currency": "USD",
        "items": [{"sku": sku, "quantity": quantity, "price": price}],
    }
    if token:
        body["paymentToken"] = token
    return body


def create(api: Api, body: dict) -> str:
    status, answer = api.call("POST", "/orders", body, {"Idempotency-Key": f"demo-{uuid.uuid4()}"})
    if status != 201 or not isinstance(answer, dict) or "orderId" not in answer:
        raise DemoError(f"POST /orders answered {status}: {json.dumps(answer)}")
    return answer["orderId"]


def place_cancelled(api: Api, attempts: int) -> list[Row]:
    """Create and cancel at once; on a lost race, try again with a new order."""
    rows = []
    for attempt in range(1, attempts + 1):
        oid = create(api, order_body("cancelled", "usb-c-cable", 1, "4.99", None))
        status, answer = api.call("POST", f"/orders/{oid}/cancel")
        if status == 200:
            rows.append(Row("cancelled", oid, "CANCELLED", None, "none"))
            return rows
        code = (answer or {}).get("error", {}).get("code")
        if status != 409 or code != "INVALID_STATUS_TRANSITION":
            raise DemoError(f"POST /orders/{oid}/cancel answered {status}: {json.dumps(answer)}")
        # The processor took it first: it goes on to COMPLETED like any order.
        rows.append(Row(f"cancel too late #{attempt}", oid, None))
    rows.append(Row("cancelled", "-", "CANCELLED", problems=[f"every cancel of {attempts} orders came too late"]))
    return rows


def wait_terminal(api: Api, rows: list[Row], deadline: float) -> list[Row]:
    """Polls each order until it is terminal; returns the ones that are not."""
    pending = [r for r in rows if r.order_id != "-"]
    while pending:
        still = []
        for r in pending:
            status, answer = api.call("GET", f"/orders/{r.order_id}")
            if status != 200 or not isinstance(answer, dict):
                raise DemoError(f"GET /orders/{r.order_id} answered {status}: {json.dumps(answer)}")
            r.order = answer
            if answer.get("status") not in TERMINAL:
                still.append(r)
        pending = still
        if pending:
            if time.monotonic() > deadline:
                return pending
            time.sleep(0.5)
    return []


def is_local(api: Api) -> bool:
    try:
        status, answer = api.call("GET", "/local/executions?limit=1")
    except DemoError:
        return False
    return status == 200 and isinstance(answer, dict) and "executions" in answer


def local_details(api: Api, r: Row):
    """The payment record and the saga execution, from the local endpoints."""
    _, answer = api.call("GET", f"/local/payments?orderId={r.order_id}")
    payments = (answer or {}).get("payments") or []
    if not payments:
        r.payment = "none"
    else:
        p = payments[0]
        r.payment = f"{p.get('status')} {p.get('amount')}"
        if p.get("declineCode"):
            r.payment += f" ({p['declineCode']})"
        if p.get("refund"):
            r.payment += f", refund {p['refund'].get('amount')}"
    status, answer = api.call("GET", f"/local/executions/{r.order_id}")
    r.saga = (answer or {}).get("status", "?") if status == 200 else "none"
    if r.expect_payment is not None and (r.payment.split(" ")[0] != r.expect_payment):
        r.problems.append(f"payment {r.payment}, expected {r.expect_payment}")
    expect_saga = "none" if r.expect_status == "CANCELLED" else "SUCCEEDED"
    if r.expect_status is not None and r.saga != expect_saga:
        r.problems.append(f"saga {r.saga}, expected {expect_saga}")


def check(r: Row):
    status, reason = r.order.get("status"), r.order.get("statusReason")
    if r.expect_status is None:
        return
    if status != r.expect_status:
        r.problems.append(f"status {status}, expected {r.expect_status}")
    if reason != r.expect_reason:
        r.problems.append(f"reason {reason or '-'}, expected {r.expect_reason or '-'}")


def table(rows: list[Row], local: bool) -> str:
    head = ["path", "order id", "status", "reason", "total", "payment", "saga", "result"]
    lines = []
    for r in rows:
        reason = r.order.get("statusReason") or "-"
        if r.order.get("statusDetail"):
            reason += f" ({r.order['statusDetail']})"
        total = f"{r.order.get('total', '-')} {r.order.get('currency', '')}".strip()
        if r.expect_status is None:
            result = "(not counted)"
        else:
            result = "ok" if not r.problems else "UNEXPECTED: " + "; ".join(r.problems)
        lines.append([
            r.path,
            r.order_id,
            r.order.get("status", "-"),
            reason,
            total,
            r.payment if local else "(not in the public API)",
            r.saga if local else "-",
            result,
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    fmt = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([fmt(head), fmt(["-" * w for w in widths]), *map(fmt, lines)])


def run(url: str, key: str) -> int:
    timeout = float(os.environ.get("DEMO_TIMEOUT", "180"))
    attempts = int(os.environ.get("DEMO_CANCEL_ATTEMPTS", "10"))
    api = Api(url, key)
    local = os.environ.get("DEMO_API_ONLY", "") not in ("1", "true") and is_local(api)
    print(f"demo against {url} ({'local host: payments and saga from /local' if local else 'public API only'})")
    rows = [
        Row("complete", create(api, order_body("complete", "mouse", 1, "29.98", "tok_approve")), "COMPLETED", None, "CHARGED"),
        Row("declined", create(api, order_body("declined", "keyboard", 1, "49.50", "tok_decline_card")), "FAILED", "PAYMENT_DECLINED", "DECLINED"),
        Row("out of stock", create(api, order_body("out-of-stock", UNSTOCKED_SKU, 2, "15.00", None)), "FAILED", "OUT_OF_STOCK", "REFUNDED"),
    ]
    rows += place_cancelled(api, attempts)
    late = wait_terminal(api, rows, time.monotonic() + timeout)
    for r in rows:
        check(r)
        if local and r.order_id != "-":
            local_details(api, r)
    api.close()
    print(table(rows, local))
    if late:
        waiting = ", ".join(f"{r.path} {r.order_id} ({r.order.get('status')})" for r in late)
        print(f"timed out after {timeout:g} s waiting for a terminal status: {waiting}", file=sys.stderr)
        return 2
    bad = [r for r in rows if r.expect_status is not None and r.problems]
    if bad:
        print(f"{len(bad)} of 4 paths did not end as expected: {', '.join(r.path for r in bad)}", file=sys.stderr)
        return 1
    print("all 4 paths ended as expected")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 3
    try:
        return run(argv[0], argv[1])
    except DemoError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
