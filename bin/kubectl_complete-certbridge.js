#!/usr/bin/env node
// Completion for the kubectl plugin: kubectl (1.26+) runs `kubectl_complete-certbridge <words…>` when
// completing `kubectl certbridge …` and reads Cobra's format, which `certbridge __complete` speaks.
process.argv.splice(2, 0, "__complete");
await import("../src/cli.ts");
