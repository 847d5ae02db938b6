#!/usr/bin/env node
// A real Better Auth (the front end's auth library) for the interop test:
// email/password accounts and the jwt plugin, on an in-memory SQLite
// database, served on 127.0.0.1:PORT under /api/auth/*.
//
//   node better_auth_server.mjs --port 4100 [--alg EdDSA|ES256|RS256]
//
// Prints one JSON line {"origin", "jwks_url", "alg"} on stdout once it
// listens; the test then signs up through POST /api/auth/sign-up/email and
// fetches a JWT from GET /api/auth/token like a browser would. Tokens carry
// iss = aud = origin. Stops on SIGTERM or SIGINT.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";

const KEY_PAIRS = {
  EdDSA: { alg: "EdDSA", crv: "Ed25519" },
  ES256: { alg: "ES256" },
  RS256: { alg: "RS256" },
};

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    alg: { type: "string", default: "EdDSA" },
  },
});
const port = Number.parseInt(args.port ?? "", 10);
if (!(port > 0 && port < 65536) || !(args.alg in KEY_PAIRS)) {
  console.error("usage: node better_auth_server.mjs --port N [--alg EdDSA|ES256|RS256]");
  process.exit(2);
}

const origin = `http://127.0.0.1:${port}`;
const options = {
  baseURL: origin,
  basePath: "/api/auth",
  secret: randomBytes(32).toString("base64url"),
  database: new Database(":memory:"),
  emailAndPassword: { enabled: true },
  trustedOrigins: [origin],
  telemetry: { enabled: false },
  logger: { level: "error" },
  plugins: [jwt({ jwks: { keyPairConfig: KEY_PAIRS[args.alg] } })],
};
const auth = betterAuth(options);
await (await getMigrations(options)).runMigrations();

const handle = toNodeHandler(auth);
const server = createServer((req, res) => {
  if (req.url?.startsWith("/api/auth/")) {
    handle(req, res);
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end('{"error":"not found"}');
});

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(
    JSON.stringify({ origin, jwks_url: `${origin}/api/auth/jwks`, alg: args.alg }) + "\n",
  );
});

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
