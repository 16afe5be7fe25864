// create-order as the seed documents write it in Node.js (AWS SDK v3, the
// DynamoDB document client, PutCommand): the Node 22 peer of the cold-start
// benchmark. The clients are made at module load, as the seeds do, so their
// cost falls in the init phase like in the managed runtime.
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";

const client = new DynamoDBClient({});
const docClient = DynamoDBDocumentClient.from(client);
const TABLE = process.env.ORDERS_TABLE;

const response = (statusCode, body) => ({
  statusCode,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
  isBase64Encoded: false,
});

function validateOrder(order) {
  for (const field of ["customerId", "items"]) {
    if (!(field in order)) return `Missing required field: ${field}`;
  }
  if (!Array.isArray(order.items) || order.items.length === 0) return "items must be a non-empty list";
  for (const item of order.items) {
    if (item.quantity === undefined || item.price === undefined) return "each item needs quantity and price";
  }
  return null;
}

// Whole cents, so 0.1 + 0.2 stays 0.30.
const toCents = (price) => Math.round(Number(price) * 100);

export const handler = async (event) => {
  let order;
  try {
    order = JSON.parse(event.body ?? "{}");
  } catch {
    return response(400, { error: "Invalid JSON" });
  }
  const problem = validateOrder(order);
  if (problem) return response(400, { error: problem });
  const cents = order.items.reduce((sum, i) => sum + i.quantity * toCents(i.price), 0);
  if (!Number.isFinite(cents)) return response(400, { error: "Invalid price or quantity" });
  const totalAmount = (cents / 100).toFixed(2);
  const orderId = randomUUID();
  const now = new Date().toISOString();
  await docClient.send(
    new PutCommand({
      TableName: TABLE,
      Item: {
        orderId,
        customerId: order.customerId,
        items: order.items.map((i) => ({ sku: String(i.sku ?? ""), quantity: i.quantity, price: String(i.price) })),
        totalAmount,
        currency: order.currency ?? "USD",
        status: "PENDING",
        createdAt: now,
        updatedAt: now,
      },
    }),
  );
  return response(201, { orderId, status: "PENDING", totalAmount, createdAt: now });
};
