// The reference implementation of Standard Webhooks (npm standardwebhooks, pinned in the repository's
// package-lock.json) as a tiny batch tool for the client's verifier tests. Reads a JSON array of
// requests on stdin and writes a JSON array of results on stdout, one per request:
//   {"op":"sign","secret":"whsec_...","id":"msg_1","timestamp":1764640000,"payload":"{...}"}
//     -> {"signature":"v1,..."}
//   {"op":"verify","secrets":["whsec_..."],"headers":{"webhook-id":...},"payload":"{...}"}
//     -> {"ok":true} or {"ok":false,"error":"..."}   (ok when any secret verifies)
// Usage: node standardwebhooks.mjs <repository root>  (standardwebhooks is resolved from its node_modules)
import { createRequire } from "node:module";
import path from "node:path";

const root = process.argv[2];
if (!root) {
  console.error("usage: node standardwebhooks.mjs <repository root>");
  process.exit(2);
}
const require = createRequire(path.join(root, "package.json"));
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) {
  input += chunk;
}

const results = JSON.parse(input).map((request) => {
  if (request.op === "sign") {
    const signature = new Webhook(request.secret).sign(request.id, new Date(request.timestamp * 1000), request.payload);
    return { signature };
  }
  if (request.op === "verify") {
    const errors = [];
    for (const secret of request.secrets) {
      try {
        new Webhook(secret).verify(request.payload, request.headers, { jsonParse: false });
        return { ok: true };
      } catch (error) {
        errors.push(String(error.message));
      }
    }
    return { ok: false, error: errors.join("; ") };
  }
  return { ok: false, error: `unknown op ${request.op}` };
});
process.stdout.write(JSON.stringify(results));
