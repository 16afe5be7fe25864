"""What `cdk destroy` removes from a stage, what the stage retains, and the
removal of the retained resources after confirmation.

    scripts/cleanup-stage.sh STAGE [--yes] [--dry-run] [--templates CDK_OUT]
                             [--region REGION] [--endpoint-url URL]

The lists come from the stage's synthesized template(s) (a template-only
synth, scripts/synth-templates.sh, unless --templates names a cloud
assembly): a resource whose DeletionPolicy is Retain (or RetainExceptOnCreate)
stays when its stack is deleted; every other one goes with `cdk destroy`. The
physical ids of the retained resources come from CloudFormation's record of
the stack: the live stack's resources, or those of the newest deleted stack
of that name (CloudFormation keeps a deleted stack's record for 90 days).

Nothing is removed while a stack of the stage still exists (`cdk destroy`
first), and nothing without confirmation: the stage's name typed at the
prompt, or --yes. Removal: a DynamoDB table loses its deletion protection,
then is deleted; a KMS key is scheduled for deletion (its template's
PendingWindowInDays, 7 to 30 days, or --kms-pending-days); log groups, queues
and topics are deleted.

--endpoint-url (or ORDERS_CLEANUP_ENDPOINT) points every client at a local
stand-in such as moto, for tests; only loopback addresses are accepted.
Exit 0: done (or nothing to do, or --dry-run); 1: refused or not confirmed;
2: a removal failed or a retained resource has a type this script cannot
remove (listed for removal by hand).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

STAGES = ("dev", "staging", "prod")
RETAINED_POLICIES = {"Retain", "RetainExceptOnCreate"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Resource:
    stack: str
    logical_id: str
    type: str
    props: dict
    physical_id: str | None = None


@dataclass
class StackTemplate:
    name: str
    region: str
    resources: list[Resource]


def load_templates(cdk_out: str, stage: str) -> list[StackTemplate]:
    """The stage's stacks in a cloud assembly (cdk.out): names, regions, resources."""
    assembly = os.path.join(cdk_out, f"assembly-Orders-{stage}")
    manifest_path = os.path.join(assembly, "manifest.json")
    if not os.path.isfile(manifest_path):
        raise SystemExit(f"cleanup: {manifest_path} is missing: not a synthesized assembly of stage {stage}")
    with open(manifest_path) as f:
        manifest = json.load(f)
    stacks = []
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        props = artifact.get("properties", {})
        with open(os.path.join(assembly, props["templateFile"])) as f:
            template = json.load(f)
        name = props.get("stackName") or artifact.get("displayName", "").replace("/", "-")
        region = artifact.get("environment", "aws://unknown-account/unknown-region").rsplit("/", 1)[-1]
        resources = [
            Resource(name, lid, r["Type"], r.get("Properties", {}) | {"__policy": r.get("DeletionPolicy", "Delete")})
            for lid, r in sorted(template.get("Resources", {}).items())
        ]
        stacks.append(StackTemplate(name, region, resources))
    if not stacks:
        raise SystemExit(f"cleanup: {assembly} holds no stack")
    return sorted(stacks, key=lambda s: s.name)


def synth(stage: str) -> str:
    out = os.path.join(ROOT, ".local", "cleanup", stage)
    print(f"cleanup: synthesizing the {stage} templates (no asset build) into {os.path.relpath(out, ROOT)}")
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "synth-templates.sh"), ROOT, out, stage], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def retained(r: Resource) -> bool:
    return r.props["__policy"] in RETAINED_POLICIES


def loopback_endpoint(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise SystemExit(f"cleanup: --endpoint-url must be a loopback address (127.0.0.0/8, ::1, localhost), not {url}")
    return url


class Aws:
    def __init__(self, region: str, endpoint: str | None):
        import boto3  # from .venv (moto's dependency); imported late so --help works without it

        self.session = boto3.session.Session(region_name=region)
        self.endpoint = endpoint
        self.clients: dict[str, object] = {}

    def client(self, name: str):
        if name not in self.clients:
            self.clients[name] = self.session.client(name, endpoint_url=self.endpoint)
        return self.clients[name]


def is_not_found(e: Exception) -> bool:
    code = getattr(e, "response", {}).get("Error", {}).get("Code", "")
    return code in {
        "ResourceNotFoundException", "NotFoundException", "NotFound",
        "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
    }


def find_stack(aws: Aws, name: str) -> tuple[str, dict | None]:
    """('live', stack) / ('deleted', stack summary) / ('none', None)."""
    cfn = aws.client("cloudformation")
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
        if stacks and stacks[0]["StackStatus"] != "DELETE_COMPLETE":
            return "live", stacks[0]
    except Exception as e:  # noqa: BLE001 - botocore's ClientError, checked by code
        # "Stack with id ... does not exist"
        if getattr(e, "response", {}).get("Error", {}).get("Code") != "ValidationError":
            raise
    deleted = []
    for page in cfn.get_paginator("list_stacks").paginate(StackStatusFilter=["DELETE_COMPLETE"]):
        deleted += [s for s in page["StackSummaries"] if s["StackName"] == name]
    if not deleted:
        return "none", None
    return "deleted", max(deleted, key=lambda s: str(s.get("DeletionTime", "")))


def physical_ids(aws: Aws, stack_id: str) -> dict[str, str]:
    out = {}
    for page in aws.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack_id):
        for r in page["StackResourceSummaries"]:
            if r.get("PhysicalResourceId"):
                out[r["LogicalResourceId"]] = r["PhysicalResourceId"]
    return out


# --- removal, per type: (exists?, remove) ------------------------------------------------


def table_remove(aws: Aws, r: Resource, _args) -> str:
    ddb = aws.client("dynamodb")
    t = ddb.describe_table(TableName=r.physical_id)["Table"]
    note = ""
    if t.get("DeletionProtectionEnabled"):
        ddb.update_table(TableName=r.physical_id, DeletionProtectionEnabled=False)
        note = "deletion protection disabled, "
    ddb.delete_table(TableName=r.physical_id)
    return note + "deleted"


def key_remove(aws: Aws, r: Resource, args) -> str:
    kms = aws.client("kms")
    meta = kms.describe_key(KeyId=r.physical_id)["KeyMetadata"]
    if meta.get("KeyState") == "PendingDeletion":
        return f"already scheduled for deletion on {meta.get('DeletionDate')}"
    days = args.kms_pending_days or int(r.props.get("PendingWindowInDays", 30))
    resp = kms.schedule_key_deletion(KeyId=r.physical_id, PendingWindowInDays=days)
    return f"deletion scheduled in {days} days ({resp.get('DeletionDate')}); cancel with aws kms cancel-key-deletion"


def log_group_remove(aws: Aws, r: Resource, _args) -> str:
    aws.client("logs").delete_log_group(logGroupName=r.physical_id)
    return "deleted"


def queue_remove(aws: Aws, r: Resource, _args) -> str:
    sqs = aws.client("sqs")
    # The record holds the queue URL; ask for it by name so the URL is this endpoint's.
    url = sqs.get_queue_url(QueueName=r.physical_id.rstrip("/").rsplit("/", 1)[-1])["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    return "deleted"


def topic_remove(aws: Aws, r: Resource, _args) -> str:
    sns = aws.client("sns")
    sns.get_topic_attributes(TopicArn=r.physical_id)  # NotFound when it is gone already
    sns.delete_topic(TopicArn=r.physical_id)
    return "deleted"


REMOVERS = {
    "AWS::DynamoDB::Table": table_remove,
    "AWS::KMS::Key": key_remove,
    "AWS::Logs::LogGroup": log_group_remove,
    "AWS::SQS::Queue": queue_remove,
    "AWS::SNS::Topic": topic_remove,
}


def print_plan(stacks: list[StackTemplate], states: dict[str, str]):
    for s in stacks:
        gone = [r for r in s.resources if not retained(r)]
        kept = [r for r in s.resources if retained(r)]
        by_type: dict[str, int] = {}
        for r in gone:
            by_type[r.type] = by_type.get(r.type, 0) + 1
        print(f"\nstack {s.name} ({states[s.name]})")
        print(f"  `cdk destroy` removes {len(gone)} resources:")
        for t, n in sorted(by_type.items()):
            print(f"    {n:3d} x {t}")
        print(f"  the stage retains {len(kept)} resources (DeletionPolicy Retain):")
        for r in kept:
            print(f"    {r.type:22s} {r.logical_id:48s} {r.physical_id or '(no physical id on record)'}")


def confirm(stage: str, count: int, yes: bool) -> bool:
    if yes:
        return True
    print(f"\nType the stage name ({stage}) to remove these {count} retained resources; anything else aborts: ",
          end="", flush=True)
    answer = sys.stdin.readline().strip()
    print()
    return answer == stage


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="cleanup-stage.sh", description=__doc__.split("\n\n")[0])
    p.add_argument("stage", choices=STAGES)
    p.add_argument("--yes", action="store_true", help="remove without asking (for scripts)")
    p.add_argument("--dry-run", action="store_true", help="print the lists only")
    p.add_argument("--templates", help="a synthesized cloud assembly (cdk.out) to read instead of synthesizing")
    p.add_argument("--region", help="default: AWS_REGION, else the stage's region in the assembly")
    p.add_argument("--endpoint-url", default=os.environ.get("ORDERS_CLEANUP_ENDPOINT"),
                   help="a loopback stand-in for AWS (moto), for tests")
    p.add_argument("--kms-pending-days", type=int, choices=range(7, 31), metavar="7..30",
                   help="the KMS key's waiting period (default: its template's PendingWindowInDays)")
    args = p.parse_args(argv)
    endpoint = loopback_endpoint(args.endpoint_url)
    stacks = load_templates(args.templates or synth(args.stage), args.stage)
    region = args.region or os.environ.get("AWS_REGION") or stacks[0].region
    aws = Aws(region, endpoint)
    print(f"stage {args.stage}, region {region}{', endpoint ' + endpoint if endpoint else ''}")

    states, live = {}, []
    for s in stacks:
        state, stack = find_stack(aws, s.name)
        states[s.name] = {"live": f"deployed, {stack['StackStatus'] if stack else ''}",
                          "deleted": f"deleted {stack.get('DeletionTime') or ''}".rstrip() if stack else "",
                          "none": "no stack on record"}[state]
        if state == "live":
            live.append(stack)
        if stack is not None:
            ids = physical_ids(aws, stack["StackId"])
            for r in s.resources:
                r.physical_id = ids.get(r.logical_id)
    print_plan(stacks, states)

    if live:
        print(f"\nThe stage is still deployed: remove it first with\n"
              f"  npx cdk destroy -c stage={args.stage} 'Orders-{args.stage}/*'")
        for st in live:
            if st.get("EnableTerminationProtection"):
                print(f"  ({st['StackName']} has termination protection: aws cloudformation "
                      f"update-termination-protection --no-enable-termination-protection --stack-name {st['StackName']})")
        print("then run this script again to remove what it retains. Nothing was removed.")
        return 1 if args.yes else 0
    # The key last: what it encrypts goes first.
    todo = sorted((r for s in stacks for r in s.resources if retained(r) and r.physical_id),
                  key=lambda r: r.type == "AWS::KMS::Key")
    if not todo:
        print("\nNothing to remove: no retained resource of this stage is on record.")
        return 0
    if args.dry_run:
        print("\n--dry-run: nothing was removed.")
        return 0
    if not confirm(args.stage, len(todo), args.yes):
        print("\nNot confirmed: nothing was removed.")
        return 1

    failed = 0
    for r in todo:
        remover = REMOVERS.get(r.type)
        if remover is None:
            print(f"  by hand   {r.type} {r.physical_id}: this script does not remove {r.type}")
            failed += 1
            continue
        try:
            result = remover(aws, r, args)
        except Exception as e:  # noqa: BLE001 - report each failure, go on with the rest
            if is_not_found(e):
                result = "already gone"
            else:
                print(f"  FAILED    {r.type} {r.physical_id}: {e}")
                failed += 1
                continue
        print(f"  removed   {r.type} {r.physical_id}: {result}")
    print(f"\n{len(todo) - failed} of {len(todo)} retained resources removed or scheduled"
          + (f"; {failed} left (see above)" if failed else ""))
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
