/** Opens the target a --to or --from value names: s3://bucket/prefix, file://..., or a folder path. */
import { UsageError } from '../errors.js';
import { FolderTarget, folderOf } from './folder-target.js';
import type { Target } from './target.js';

export interface S3Settings {
  endpoint?: string;
  pathStyle?: boolean;
  region?: string;
}

export async function openTarget(spec: string, s3: S3Settings): Promise<Target> {
  if (spec.startsWith('s3://')) {
    // loaded only when used: the AWS SDK is large and most runs do not need it
    const { openS3Target } = await import('./s3-target.js');
    return openS3Target(spec, s3);
  }
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(spec);
  if (scheme && scheme[1]?.toLowerCase() !== 'file') {
    throw new UsageError(
      `Target ${spec} has an unknown scheme ${scheme[1]}://`,
      'A target is a folder (a path or file://...) or an S3-compatible bucket (s3://bucket/prefix).',
    );
  }
  return new FolderTarget(spec, folderOf(spec));
}

/** Targets from repeated --to flags, else from BA_BACKUP_TARGETS (comma-separated); without repeats. */
export function targetSpecs(flags: string[] | undefined, env: string | undefined): string[] {
  const given =
    flags && flags.length > 0
      ? flags
      : (env ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  return [...new Set(given)];
}
