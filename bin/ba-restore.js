#!/usr/bin/env node
import { main } from '../dist/src/cli/restore.js';
main();
