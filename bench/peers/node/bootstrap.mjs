// The stand-in for the managed Node.js runtime's bootstrap: load the handler
// module (the init phase), then poll the Runtime API for events, call the
// handler and post what it returns. node:http only, one kept-alive socket.
import http from "node:http";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const PREFIX = "/2018-06-01/runtime";

function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: PREFIX + path, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const errorBody = (e) => JSON.stringify({ errorMessage: String(e?.message ?? e), errorType: e?.name ?? "Error" });

let handler;
try {
  ({ handler } = await import(new URL("./index.mjs", import.meta.url)));
} catch (e) {
  await call("POST", "/init/error", errorBody(e));
  throw e;
}
for (;;) {
  const next = await call("GET", "/invocation/next");
  const id = next.headers["lambda-runtime-aws-request-id"];
  const context = {
    awsRequestId: id,
    invokedFunctionArn: next.headers["lambda-runtime-invoked-function-arn"],
    getRemainingTimeInMillis: () => Number(next.headers["lambda-runtime-deadline-ms"]) - Date.now(),
  };
  try {
    const result = await handler(JSON.parse(next.body), context);
    await call("POST", `/invocation/${id}/response`, JSON.stringify(result));
  } catch (e) {
    await call("POST", `/invocation/${id}/error`, errorBody(e), { "Lambda-Runtime-Function-Error-Type": "Unhandled" });
  }
}
