#!/usr/bin/env bash
# Checks proto/ for breaking changes (buf's FILE rules) against the previous commit: against HEAD
# when the work tree changes proto/, otherwise against HEAD~1. Skips, saying so, where that commit
# has no proto/ module yet (or the clone has no such history).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "proto breaking check skipped: not a git checkout"
  exit 0
fi
if [[ -n "$(git status --porcelain -- proto)" ]]; then ref=HEAD; else ref=HEAD~1; fi
if ! git cat-file -e "$ref:proto/buf.yaml" 2>/dev/null; then
  echo "proto breaking check skipped: $ref has no proto/buf.yaml"
  exit 0
fi
node_modules/.bin/buf breaking proto --against ".git#ref=$ref,subdir=proto"
echo "proto: no breaking change against $ref"
