/**
 * commander, loaded as the CommonJS module it is. Its ESM wrapper makes Node 20
 * parse the CommonJS source for named exports first, about 15 ms of every
 * start (measured: `node -e "require('commander')"` vs `import 'commander'`),
 * and start-up is what `--help` and `--version` are judged by.
 */
import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof CommanderModule;

export const { Command, CommanderError, Option } = commander;
export type Command = CommanderModule.Command;
export type Option = CommanderModule.Option;
