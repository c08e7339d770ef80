#!/usr/bin/env node
// The CLI is TypeScript run through Node's type stripping (Node >= 24); see docs/adr/0001-node-runtime.md.
import "../src/cli.ts";
