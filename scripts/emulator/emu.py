"""What scripts/emulator-e2e.sh asks of the deployed stack, through the
emulator's AWS APIs (boto3, endpoint AWS_ENDPOINT_URL, fake credentials):

    emu.py api STACK                  prints "URL KEY": the API at the emulator's
                                      execute-api path, a usage-plan key value
    emu.py pipes STACK STATE_FILE     the pipe runner (runs until killed)
    emu.py check STACK DEMO_OUTPUT STATE_FILE
                                      each demo order's execution, notifications, DLQs
    emu.py logs STACK                 the last events of each of the stack's log groups

The pipe runner stands in for EventBridge Pipes, which MiniStack does not
run faithfully (docs/deploy.md, "The emulator run"): it takes each deployed
pipe's source, target and state from the Pipes API and its filter criteria
and input template from the template CloudFormation deployed (MiniStack's
DescribePipe returns neither), stops the emulator's own delivery of the pipe
(StopPipe), then reads the table's stream from TRIM_HORIZON through the
DynamoDB Streams API, applies the filters and template (pipe_rules.py) and sends
each event to the real target (SQS SendMessage, SNS Publish). STATE_FILE
gets its counts, for `check`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import time
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pipe_rules import PipeError, passes, render  # noqa: E402

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
# One attempt per call: the runner's loop retries, and a check must not hang.
CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def client(name: str):
    return boto3.client(name, endpoint_url=ENDPOINT, config=CONFIG)


def log(msg: str):
    print(f"emu: {msg}", file=sys.stderr, flush=True)


def outputs(stack: str) -> dict[str, str]:
    s = client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


def resources(stack: str) -> list[dict]:
    return client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]


# --- api ------------------------------------------------------------------------


def api_url_and_key(stack: str) -> tuple[str, str]:
    out = outputs(stack)
    # ApiUrl is the AWS host name (https://<id>.execute-api.<region>.amazonaws.com/<stage>/);
    # the emulator serves the same API under /_aws/execute-api/<id>/<stage>/.
    u = urlsplit(out["ApiUrl"])
    api_id = u.hostname.split(".")[0]
    stage = u.path.strip("/").split("/")[0]
    e = urlsplit(ENDPOINT)
    url = f"{e.scheme}://{e.netloc}/_aws/execute-api/{api_id}/{stage}"
    key = client("apigateway").get_api_key(apiKey=out["ApiKeyId"], includeValue=True)["value"]
    return url, key


# --- pipes ----------------------------------------------------------------------


def pipe_definitions(stack: str) -> list[dict]:
    """Each AWS::Pipes::Pipe of the stack: Pipes API + the deployed template."""
    cfn = client("cloudformation")
    body = cfn.get_template(StackName=stack)["TemplateBody"]
    template = json.loads(body) if isinstance(body, str) else body
    api = client("pipes")
    defs = []
    for r in resources(stack):
        if r["ResourceType"] != "AWS::Pipes::Pipe":
            continue
        props = template["Resources"][r["LogicalResourceId"]]["Properties"]
        pipe = api.describe_pipe(Name=r["PhysicalResourceId"])
        source_params = props.get("SourceParameters", {})
        stream = source_params.get("DynamoDBStreamParameters")
        if not stream or not pipe["Source"].startswith("arn:aws:dynamodb:"):
            raise PipeError(f"pipe {pipe['Name']}: only DynamoDB stream sources are implemented")
        defs.append({
            "name": pipe["Name"],
            "logicalId": r["LogicalResourceId"],
            "source": pipe["Source"],
            "target": pipe["Target"],
            "state": pipe["CurrentState"],
            "startingPosition": stream.get("StartingPosition", "LATEST"),
            "batchSize": int(stream.get("BatchSize", 100)),
            "filters": [json.loads(f["Pattern"]) for f in (source_params.get("FilterCriteria") or {}).get("Filters", [])],
            "inputTemplate": (props.get("TargetParameters") or {}).get("InputTemplate"),
        })
    return defs


def stop_emulator_delivery(defs: list[dict]):
    """MiniStack forwards the stream itself (raw records, SNS and Step Functions
    targets only); a stopped pipe is skipped by its poller."""
    api = client("pipes")
    for d in defs:
        if d["state"] != "STOPPED":
            api.stop_pipe(Name=d["name"])
        state = api.describe_pipe(Name=d["name"])["CurrentState"]
        if state != "STOPPED":
            raise PipeError(f"pipe {d['name']} is {state} after StopPipe")


def plain(record: dict) -> dict:
    """A GetRecords record as Pipes hands it on (JSON: no datetime objects)."""
    def conv(v):
        if isinstance(v, dt.datetime):
            return int(v.timestamp())
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, (bytes, bytearray)):
            import base64

            return base64.b64encode(v).decode()
        return v

    return conv(record)


class Delivery:
    def __init__(self, target: str):
        arn = target.split(":")
        self.service = arn[2]
        self.target = target
        if self.service == "sqs":
            self.sqs = client("sqs")
            self.url = self.sqs.get_queue_url(QueueName=arn[5], QueueOwnerAWSAccountId=arn[4])["QueueUrl"]
        elif self.service == "sns":
            self.sns = client("sns")
        else:
            raise PipeError(f"target {target}: only SQS and SNS are implemented")

    def send(self, body: str):
        if self.service == "sqs":
            self.sqs.send_message(QueueUrl=self.url, MessageBody=body)
        else:
            self.sns.publish(TopicArn=self.target, Message=body)


class PipeReader:
    """One pipe's own reader of the stream (each pipe is an independent consumer)."""

    def __init__(self, d: dict):
        self.d = d
        self.streams = client("dynamodbstreams")
        self.delivery = Delivery(d["target"])
        self.iterators: dict[str, str | None] = {}
        self.counts = {"records": 0, "matched": 0, "delivered": 0, "failed": 0}
        self.errors: list[str] = []

    def refresh_shards(self):
        desc = self.streams.describe_stream(StreamArn=self.d["source"])["StreamDescription"]
        for shard in desc.get("Shards", []):
            sid = shard["ShardId"]
            if sid not in self.iterators:
                self.iterators[sid] = self.streams.get_shard_iterator(
                    StreamArn=self.d["source"], ShardId=sid, ShardIteratorType=self.d["startingPosition"],
                )["ShardIterator"]

    def poll(self) -> int:
        n = 0
        for sid, it in list(self.iterators.items()):
            if it is None:
                continue
            answer = self.streams.get_records(ShardIterator=it, Limit=self.d["batchSize"])
            for record in answer.get("Records", []):
                self.handle(plain(record))
                n += 1
            self.iterators[sid] = answer.get("NextShardIterator")
        return n

    def handle(self, record: dict):
        self.counts["records"] += 1
        try:
            if not passes(self.d["filters"], record):
                return
            self.counts["matched"] += 1
            self.delivery.send(render(self.d["inputTemplate"], record))
            self.counts["delivered"] += 1
        except Exception as e:  # a record that cannot be delivered: what AWS would send to the pipe's DLQ
            self.counts["failed"] += 1
            self.errors.append(f"{type(e).__name__}: {e}")
            log(f"pipe {self.d['name']}: record {record.get('eventID')} failed: {e}")


def run_pipes(stack: str, state_file: str):
    defs = pipe_definitions(stack)
    if not defs:
        raise PipeError(f"{stack} has no AWS::Pipes::Pipe")
    stop_emulator_delivery(defs)
    readers = [PipeReader(d) for d in defs]
    for r in readers:
        log(f"pipe {r.d['name']} ({r.d['logicalId']}): {r.d['source']} -> {r.d['target']}, "
            f"{len(r.d['filters'])} filter(s), template {'yes' if r.d['inputTemplate'] else 'no'}")

    def save(ready: bool):
        tmp = state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"ready": ready, "pipes": [{**r.d, "counts": r.counts, "errors": r.errors[-20:]} for r in readers]}, f, indent=1)
        os.replace(tmp, state_file)

    last_shards = 0.0
    first = True
    while True:
        try:
            if time.monotonic() - last_shards > 10:
                for r in readers:
                    r.refresh_shards()
                last_shards = time.monotonic()
            n = sum(r.poll() for r in readers)
        except Exception as e:  # the emulator busy or restarting: try again
            log(f"poll failed: {type(e).__name__}: {e}")
            n = 0
        save(True)
        if first:
            log("pipe runner ready")
            first = False
        if n == 0:
            time.sleep(0.5)


# --- check ----------------------------------------------------------------------

ROW = re.compile(r"^(complete|declined|out of stock|cancelled|cancel too late #\d+)\s+([0-9a-f]{8}-[0-9a-f-]{27})\s+(\S+)")
# The statuses notify-customer must have handled, by demo path (PENDING is not notified).
NOTIFIED = {
    "complete": ["PROCESSING", "COMPLETED"],
    "declined": ["PROCESSING", "FAILED"],
    "out of stock": ["PROCESSING", "FAILED"],
    "cancelled": ["CANCELLED"],
    "cancel too late": ["PROCESSING", "COMPLETED"],
}
# The saga's states each path's execution enters, in order (Choice states left out;
# contracts/workflows/order-saga.asl.json). A cancelled order starts no execution.
SAGA_STATES = {
    "complete": ["Charge", "Reserve", "Complete", "Completed"],
    "declined": ["Charge", "MarkPaymentDeclined", "OrderFailed"],
    "out of stock": ["Charge", "Reserve", "ReleaseOutOfStock", "RefundOutOfStock", "MarkOutOfStock", "OrderFailed"],
    "cancelled": None,
    "cancel too late": ["Charge", "Reserve", "Complete", "Completed"],
}


def states_entered(sfn, arn: str) -> list[str]:
    names, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
        for e in page["events"]:
            d = e.get("stateEnteredEventDetails")
            if e["type"].endswith("StateEntered") and d and not d["name"].endswith("?"):
                names.append(d["name"])
        token = page.get("nextToken")
        if not token:
            return names


def demo_orders(demo_output: str) -> list[tuple[str, str, str]]:
    rows = []
    with open(demo_output) as f:
        for line in f:
            m = ROW.match(line)
            if m:
                path = "cancel too late" if m.group(1).startswith("cancel too late") else m.group(1)
                rows.append((path, m.group(2), m.group(3)))
    return rows


def sent_log_lines(group: str, order_id: str) -> set[str]:
    """The statuses notify-customer logged "notification sent" for, for the order (JSON log lines)."""
    statuses = set()
    for e in client("logs").filter_log_events(logGroupName=group, limit=10000).get("events", []):
        try:
            line = json.loads(e["message"])
        except ValueError:
            continue
        fields = line.get("fields", line)
        if fields.get("message") == "notification sent" and fields.get("order_id") == order_id:
            statuses.add(fields.get("status"))
    return statuses


def check(stack: str, demo_output: str, state_file: str, timeout: float = 90) -> int:
    out = outputs(stack)
    rows = demo_orders(demo_output)
    problems: list[str] = []
    if {p for p, _, _ in rows} < {"complete", "declined", "out of stock", "cancelled"}:
        problems.append(f"the demo output lists {len(rows)} orders, not one per path")
    sfn, ddb, sqs = client("stepfunctions"), client("dynamodb"), client("sqs")
    sm = out["StateMachineArn"]
    table = out["TableName"]
    deadline = time.monotonic() + timeout
    notifier_log = next(
        r["PhysicalResourceId"] for r in resources(stack)
        if r["ResourceType"] == "AWS::Logs::LogGroup" and r["LogicalResourceId"].startswith("NotifyCustomerLogGroup")
    )

    print(f"{'path':<16} {'order id':<36} {'execution':<10} {'notified':<21} saga states")
    for path, oid, _status in rows:
        # Executions are named after the order; a cancelled order never starts one.
        arn = sm.replace(":stateMachine:", ":execution:") + ":" + oid
        while True:
            try:
                execution = sfn.describe_execution(executionArn=arn)["status"]
            except sfn.exceptions.ExecutionDoesNotExist:
                execution = "none"
            if execution != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(1)
        want_execution = "none" if SAGA_STATES[path] is None else "SUCCEEDED"
        if execution != want_execution:
            problems.append(f"{path} {oid}: execution {execution}, expected {want_execution}")
        states = states_entered(sfn, arn) if execution != "none" else None
        if execution != "none" and states != SAGA_STATES[path]:
            problems.append(f"{path} {oid}: the execution entered {states}, expected {SAGA_STATES[path]}")
        # notify-customer's ledger (one item per order and status it handled,
        # sentAt once sent) and its log line for the same.
        missing = list(NOTIFIED[path])
        while True:
            logged = sent_log_lines(notifier_log, oid)
            for status in list(missing):
                item = ddb.get_item(
                    TableName=table, ConsistentRead=True,
                    Key={"pk": {"S": f"NOTIFICATION#{oid}#{status}"}, "sk": {"S": "NOTIFICATION"}},
                ).get("Item")
                if item and "sentAt" in item and status in logged:
                    missing.remove(status)
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(1)
        for status in missing:
            problems.append(f"{path} {oid}: notify-customer has no ledger item and log line for {status}")
        done = [s for s in NOTIFIED[path] if s not in missing]
        print(f"{path:<16} {oid:<36} {execution:<10} {','.join(done) or '-':<21} {' > '.join(states or []) or '-'}")

    # Every dead-letter queue of the stack is empty.
    for r in resources(stack):
        if r["ResourceType"] != "AWS::SQS::Queue" or "DeadLetter" not in r["LogicalResourceId"]:
            continue
        attrs = sqs.get_queue_attributes(
            QueueUrl=r["PhysicalResourceId"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        n = int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
        print(f"dead-letter queue {r['LogicalResourceId']}: {n} message(s)")
        if n:
            problems.append(f"dead-letter queue {r['LogicalResourceId']} holds {n} message(s)")

    # The pipe runner delivered, and failed nothing.
    with open(state_file) as f:
        state = json.load(f)
    for p in state["pipes"]:
        c = p["counts"]
        print(f"pipe {p['logicalId']}: {c['records']} records read, {c['matched']} matched, {c['delivered']} delivered, {c['failed']} failed")
        if c["failed"]:
            problems.append(f"pipe {p['logicalId']}: {c['failed']} record(s) failed: {p['errors']}")
        if not c["delivered"]:
            problems.append(f"pipe {p['logicalId']}: delivered nothing")

    for p in problems:
        print(f"UNEXPECTED: {p}", file=sys.stderr)
    if not problems:
        print("every execution, notification and dead-letter queue as expected")
    return 1 if problems else 0


def dump_logs(stack: str, lines: int = 15) -> int:
    """The last events of every log group of the stack (a failed run's diagnosis)."""
    logs = client("logs")
    for r in resources(stack):
        if r["ResourceType"] != "AWS::Logs::LogGroup":
            continue
        group = r["PhysicalResourceId"]
        try:
            events = logs.filter_log_events(logGroupName=group, limit=10000).get("events", [])
        except Exception as e:
            print(f"-- {group}: {e}")
            continue
        if not events:
            continue
        print(f"-- {r['LogicalResourceId']} ({group}), last {min(lines, len(events))} of {len(events)} events")
        for e in events[-lines:]:
            print("   " + e["message"].rstrip()[:400])
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "api":
        url, key = api_url_and_key(argv[1])
        print(url, key)
        return 0
    if len(argv) == 2 and argv[0] == "logs":
        return dump_logs(argv[1])
    if len(argv) == 3 and argv[0] == "pipes":
        run_pipes(argv[1], argv[2])
        return 0
    if len(argv) == 4 and argv[0] == "check":
        return check(argv[1], argv[2], argv[3])
    print(__doc__.strip(), file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
