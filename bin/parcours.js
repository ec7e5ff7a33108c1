#!/usr/bin/env node
// The CLI is compiled by `tsc -b` (npm start and npm test build first).
import '../dist/cli.js';
