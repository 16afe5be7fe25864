"""The stand-in for the managed Python runtime's bootstrap (awslambdaric):
import the handler module (the init phase), then poll the Runtime API for
events, call the handler and post what it returns. Standard library only.
"""

import http.client
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")


def post(conn, path, body, headers=None):
    conn.request("POST", PREFIX + path, body=body, headers=headers or {})
    conn.getresponse().read()


def main():
    conn = http.client.HTTPConnection(API)
    try:
        import handler
    except Exception as e:  # the init error Lambda reports
        post(conn, "/init/error", json.dumps({"errorMessage": str(e), "errorType": type(e).__name__}))
        raise
    while True:
        conn.request("GET", PREFIX + "/invocation/next")
        resp = conn.getresponse()
        event = json.loads(resp.read())
        context = Context(resp.headers)
        try:
            result = handler.lambda_handler(event, context)
            post(conn, f"/invocation/{context.aws_request_id}/response", json.dumps(result))
        except Exception as e:
            body = {"errorMessage": str(e), "errorType": type(e).__name__,
                    "stackTrace": traceback.format_exc().splitlines()}
            post(conn, f"/invocation/{context.aws_request_id}/error", json.dumps(body),
                 {"Lambda-Runtime-Function-Error-Type": "Unhandled"})


if __name__ == "__main__":
    main()
