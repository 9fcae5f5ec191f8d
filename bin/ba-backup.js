#!/usr/bin/env node
import { main } from '../dist/src/cli/backup.js';
main();
