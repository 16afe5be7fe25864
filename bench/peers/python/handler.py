"""create-order as the seed documents write it in Python (boto3 resource,
Table.put_item, Decimal totals): the Python peer of the cold-start benchmark.

The resource and table are made at import time, as the seeds do, so their
cost falls in the init phase like in the managed runtime.
"""

import json
import os
import uuid
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

import boto3

dynamodb = boto3.resource("dynamodb")
orders_table = dynamodb.Table(os.environ["ORDERS_TABLE"])


def response(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def validate_order(order_data):
    required_fields = ["customerId", "items"]
    for field in required_fields:
        if field not in order_data:
            return False, f"Missing required field: {field}"
    if not isinstance(order_data["items"], list) or not order_data["items"]:
        return False, "items must be a non-empty list"
    for item in order_data["items"]:
        if "quantity" not in item or "price" not in item:
            return False, "each item needs quantity and price"
    return True, None


def calculate_total(items):
    total = Decimal("0")
    for item in items:
        total += Decimal(str(item["quantity"])) * Decimal(str(item["price"]))
    return total


def lambda_handler(event, context):
    try:
        order_data = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return response(400, {"error": "Invalid JSON"})
    valid, error = validate_order(order_data)
    if not valid:
        return response(400, {"error": error})
    try:
        total = calculate_total(order_data["items"])
    except (InvalidOperation, TypeError):
        return response(400, {"error": "Invalid price or quantity"})

    order_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc).isoformat()
    order = {
        "orderId": order_id,
        "customerId": order_data["customerId"],
        "items": [
            {
                "sku": str(i.get("sku", "")),
                "quantity": int(i["quantity"]),
                "price": Decimal(str(i["price"])),
            }
            for i in order_data["items"]
        ],
        "totalAmount": total,
        "currency": order_data.get("currency", "USD"),
        "status": "PENDING",
        "createdAt": now,
        "updatedAt": now,
    }
    orders_table.put_item(Item=order)
    return response(
        201,
        {"orderId": order_id, "status": "PENDING", "totalAmount": str(total), "createdAt": now},
    )
