// Questions for the person at the terminal: on stderr, answers from a TTY stdin, codes without echo.
import { HostError } from './errors.js';
import { isTerminal } from './stdout.js';

// Not process.stdin.isTTY: touching process.stdin builds a stream (~1 ms of `show`).
export const interactive = (): boolean => isTerminal(0) && isTerminal(2);

function ask(question: string, echo: boolean): Promise<string> {
  if (!interactive()) return Promise.reject(new HostError('E_USAGE', 'no terminal to ask on'));
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false); stdin.pause(); stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err); else resolve(answer);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new HostError('E_USAGE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') {
          if (answer) { answer = answer.slice(0, -1); if (echo) process.stderr.write('\b \b'); }
        } else if (ch >= ' ') { answer += ch; if (echo) process.stderr.write(ch); }
      }
    };
    stdin.on('data', onData);
  });
}

/** Reads a code without echoing it. */
export const askSecret = (question: string): Promise<string> => ask(question, false);

export async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `, true)).trim());
}
