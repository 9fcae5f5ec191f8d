/** The off-site flags, declared apart from the work they start so that --help loads nothing else. */
import type { Command } from 'commander';

export interface OffsiteFlags {
  from?: string;
  encrypt?: boolean;
  recipient?: string[];
  recipientsFile?: string;
  passphraseFile?: string;
  identity?: string;
  s3Endpoint?: string;
  s3PathStyle?: boolean;
}

/** Commander's way to take a flag several times. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The key and S3 options: encryption ones for ba-backup, decryption ones for both. */
export function addKeyOptions(program: Command, encrypting: boolean): Command {
  if (encrypting) {
    program
      .option('--encrypt', 'encrypt the off-site copies with age (to --recipient keys, or with BA_PASSPHRASE)')
      .option('--recipient <age1...>', 'encrypt copies to this age public key (repeatable)', collect)
      .option(
        '--recipients-file <file>',
        'encrypt copies to the age public keys in this file (env BA_RECIPIENTS_FILE)',
      );
  }
  return program
    .option('--identity <file>', 'age identity (secret key) file to decrypt copies (env BA_IDENTITY_FILE)')
    .option('--passphrase-file <file>', 'age passphrase from this file (or env BA_PASSPHRASE; never a flag value)')
    .option(
      '--s3-endpoint <url>',
      'S3-compatible endpoint, e.g. MinIO or R2 (env BA_S3_ENDPOINT or AWS_ENDPOINT_URL_S3)',
    )
    .option('--s3-path-style', 'path-style S3 addressing (the default with --s3-endpoint; env BA_S3_PATH_STYLE)');
}
