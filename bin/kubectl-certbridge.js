#!/usr/bin/env node
// The certbridge CLI as a kubectl plugin: kubectl runs `kubectl-certbridge` from PATH for
// `kubectl certbridge …`. Same commands as bin/certbridge.js; usage lines say "kubectl certbridge".
import "../src/cli.ts";
