#!/usr/bin/env node
import { main } from '../dist/bundle/backup.js';
main();
