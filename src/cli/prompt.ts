/** The one interactive question the tools ask, kept here so tests can find it by name. */
import readline from 'node:readline/promises';

export async function askForPhrase(question: string, phrase: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  try {
    const answer = await rl.question(question);
    return answer.trim() === phrase;
  } catch {
    // stdin closed (Ctrl-D) before an answer
    return false;
  } finally {
    rl.close();
  }
}
