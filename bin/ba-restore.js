#!/usr/bin/env node
import { main } from '../dist/bundle/restore.js';
main();
