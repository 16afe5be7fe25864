"""scripts/cleanup-stage.sh against moto (a server this test starts on
127.0.0.1 and stops): CI's check of the stage clean-up.

    .venv/bin/python scripts/cleanup_stage_test.py CDK_OUT

CDK_OUT is a template-only synth of dev, staging and prod
(scripts/cleanup-stage-test.sh makes it). For staging and prod, a
CloudFormation stack named as the stage's is created in moto from the
stage's own template: its retained resources (DeletionPolicy Retain, so the
table, key, queues, topics and log groups carry the stage's generated
names). Then: nothing is removed while the stack
lives, nor without confirmation; after the stack is deleted, a typed
confirmation (prod) or --yes (staging) removes every retained resource (the
prod table after its deletion protection is lifted) and schedules the key's
deletion; a second run finds them gone. dev retains nothing.
"""

from __future__ import annotations

import glob
import json
import os
import socket
import subprocess
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "cleanup-stage.sh")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Env:
    def __init__(self, cdk_out: str, endpoint: str):
        import boto3

        self.cdk_out, self.endpoint = cdk_out, endpoint
        self.c = {n: boto3.client(n, endpoint_url=endpoint) for n in
                  ("cloudformation", "dynamodb", "kms", "logs", "sqs", "sns")}

    def template(self, stage: str) -> dict:
        [path] = glob.glob(os.path.join(self.cdk_out, f"assembly-Orders-{stage}", "*.template.json"))
        with open(path) as f:
            return json.load(f)

    def deploy(self, stage: str) -> dict:
        """The stage's stack in moto: its retained resources. (Not the others: moto
        re-creates a deleted stack's resources when its resource list is read,
        which CloudFormation does not do; the retained ones are all this tests.)"""
        resources = {k: v for k, v in self.template(stage)["Resources"].items() if v.get("DeletionPolicy") == "Retain"}
        assert resources, f"{stage}: the template retains nothing"
        for r in resources.values():
            if r["Type"] == "AWS::KMS::Key":
                # moto 5.2.5 keeps a CloudFormation KeyPolicy object as it is and then
                # fails every call on the key (json.loads of a dict): give it a string.
                r["Properties"]["KeyPolicy"] = json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]})
                # It also hands CloudFormation's Key/Value tags to the KMS API, which
                # names them TagKey/TagValue (KeyError otherwise).
                r["Properties"]["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]}
                                           for t in r["Properties"].get("Tags", [])]
        self.c["cloudformation"].create_stack(StackName=f"Orders-{stage}-Service",
                                              TemplateBody=json.dumps({"Resources": resources}))
        return resources

    def snapshot(self, stage: str) -> dict:
        """What exists of the stage: names per kind (keys with their state)."""
        prefix = f"Orders-{stage}-Service"
        logs = [g["logGroupName"] for p in self.c["logs"].get_paginator("describe_log_groups").paginate()
                for g in p["logGroups"] if prefix in g["logGroupName"]]
        queues = [u for u in self.c["sqs"].list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])]
        topics = [t["TopicArn"] for t in self.c["sns"].list_topics()["Topics"] if prefix in t["TopicArn"]]
        tables = [t for t in self.c["dynamodb"].list_tables()["TableNames"] if t.startswith(prefix)]
        keys = {}
        for r in self.stack_resources(stage):
            if r["ResourceType"] == "AWS::KMS::Key":
                m = self.c["kms"].describe_key(KeyId=r["PhysicalResourceId"])["KeyMetadata"]
                keys[m["KeyId"]] = m["KeyState"]
        return {"logs": sorted(logs), "queues": sorted(queues), "topics": sorted(topics), "tables": tables, "keys": keys}

    def stack_resources(self, stage: str) -> list[dict]:
        cfn = self.c["cloudformation"]
        name = f"Orders-{stage}-Service"
        ids = [s["StackId"] for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == name]
        return [r for i in ids for r in cfn.list_stack_resources(StackName=i)["StackResourceSummaries"]]

    def run(self, stage: str, *args: str, stdin: str = "") -> tuple[int, str]:
        p = subprocess.run(["bash", SCRIPT, stage, "--templates", self.cdk_out, "--region", "us-east-1", *args],
                           input=stdin, capture_output=True, text=True,
                           env=os.environ | {"ORDERS_CLEANUP_ENDPOINT": self.endpoint})
        return p.returncode, p.stdout + p.stderr


def expect(cond: bool, what: str, out: str = ""):
    if not cond:
        raise AssertionError(what + (f"\n--- script output ---\n{out}" if out else ""))


def counts(resources: dict) -> dict:
    types = [v["Type"] for v in resources.values() if v.get("DeletionPolicy") == "Retain"]
    return {t: types.count(t) for t in set(types)}


def test_nothing_removed_while_deployed_or_unconfirmed(env: Env):
    resources = env.deploy("prod")
    n = counts(resources)
    before = env.snapshot("prod")
    expect(len(before["logs"]) == n["AWS::Logs::LogGroup"] and len(before["tables"]) == 1
           and len(before["queues"]) == n["AWS::SQS::Queue"] and len(before["topics"]) == n["AWS::SNS::Topic"],
           f"moto holds the prod stack's resources: {before}")
    rc, out = env.run("prod")
    expect(rc == 0 and "The stage is still deployed" in out and "npx cdk destroy -c stage=prod 'Orders-prod/*'" in out,
           f"a live stack: plan and the cdk destroy hint (rc {rc})", out)
    expect(f"the stage retains {len(resources)} resources" in out, "the retained count from the template", out)
    expect("EventsKey1409944A" in out and "OrdersTable1F8332C7" in out, "the retained resources are listed", out)
    rc, out = env.run("prod", "--yes")
    expect(rc == 1 and "Nothing was removed" in out, f"--yes on a live stack is refused (rc {rc})", out)
    expect(env.snapshot("prod") == before, "nothing changed while the stack lives")

    env.c["cloudformation"].delete_stack(StackName="Orders-prod-Service")
    after_destroy = env.snapshot("prod")
    expect(after_destroy == before, "the retained resources outlive their stack")
    for stdin, label in (("", "no answer"), ("yes\n", "a wrong answer"), ("staging\n", "another stage's name")):
        rc, out = env.run("prod", stdin=stdin)
        expect(rc == 1 and "Not confirmed: nothing was removed." in out, f"{label}: not confirmed (rc {rc})", out)
        now = env.snapshot("prod")
        expect(now == after_destroy, f"{label}: nothing changed: {after_destroy} -> {now}")
    rc, out = env.run("prod", "--dry-run")
    expect(rc == 0 and "--dry-run: nothing was removed." in out, f"--dry-run (rc {rc})", out)
    expect(env.snapshot("prod") == after_destroy, "--dry-run: nothing changed")


def test_typed_confirmation_removes_prod(env: Env):
    table = env.snapshot("prod")["tables"][0]
    expect(env.c["dynamodb"].describe_table(TableName=table)["Table"].get("DeletionProtectionEnabled") is True,
           "the prod table is deletion-protected, as its template says")
    rc, out = env.run("prod", stdin="prod\n")
    expect(rc == 0, f"typed confirmation: exit 0 (rc {rc})", out)
    expect("deletion protection disabled, deleted" in out, "the table's protection was lifted first", out)
    expect("deletion scheduled in 30 days" in out, "the key waits its template's 30 days", out)
    s = env.snapshot("prod")
    expect(s["logs"] == [] and s["queues"] == [] and s["topics"] == [] and s["tables"] == [], f"all removed: {s}")
    expect(list(s["keys"].values()) == ["PendingDeletion"], f"the key is scheduled for deletion: {s['keys']}")
    rc, out = env.run("prod", "--yes")
    expect(rc == 0 and "already gone" in out and "already scheduled for deletion" in out,
           f"a second run finds them gone (rc {rc})", out)


def test_yes_removes_staging(env: Env):
    env.deploy("staging")
    env.c["cloudformation"].delete_stack(StackName="Orders-staging-Service")
    rc, out = env.run("staging", "--yes", "--kms-pending-days", "7")
    expect(rc == 0 and "deletion scheduled in 7 days" in out, f"--yes with a 7-day key window (rc {rc})", out)
    s = env.snapshot("staging")
    expect(s["logs"] == [] and s["queues"] == [] and s["topics"] == [] and s["tables"] == [], f"all removed: {s}")
    expect(list(s["keys"].values()) == ["PendingDeletion"], f"the key is scheduled: {s['keys']}")


def test_dev_retains_nothing(env: Env):
    rc, out = env.run("dev", "--yes")
    expect(rc == 0 and "the stage retains 0 resources" in out and "Nothing to remove" in out,
           f"dev retains nothing (rc {rc})", out)


def test_endpoint_must_be_loopback(env: Env):
    p = subprocess.run(["bash", SCRIPT, "dev", "--templates", env.cdk_out, "--endpoint-url", "http://192.0.2.1:5000"],
                       capture_output=True, text=True)
    expect(p.returncode != 0 and "must be a loopback address" in p.stderr, "a non-loopback endpoint is refused",
           p.stderr)


def main(argv: list[str]) -> int:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    # Dummy credentials, never real ones; every client goes to the local moto.
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(k, None)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    passed = failed = 0
    try:
        env = Env(argv[0], f"http://127.0.0.1:{port}")
        for test in (test_nothing_removed_while_deployed_or_unconfirmed, test_typed_confirmation_removes_prod,
                     test_yes_removes_staging, test_dev_retains_nothing, test_endpoint_must_be_loopback):
            try:
                test(env)
                print(f"ok      {test.__name__}")
                passed += 1
            except Exception:  # noqa: BLE001 - report every test
                print(f"FAILED  {test.__name__}\n{traceback.format_exc()}")
                failed += 1
    finally:
        server.stop()
    print(f"cleanup-stage tests: {passed} of {passed + failed} ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
