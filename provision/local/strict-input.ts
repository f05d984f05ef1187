// Parameters an action does not read are refused by name: the Query protocol lets a client send
// anything, and a parameter we silently dropped (a tag, a boundary, a list member after a gap)
// would look honoured to the caller.
import { AwsError } from './errors.js';
import { Input } from './validate.js';

/** URLSearchParams that remember which names were asked for. */
export class Tracked extends URLSearchParams {
  readonly asked = new Set<string>();
  override get(name: string) { this.asked.add(name); return super.get(name); }
  override has(name: string, value?: string) { this.asked.add(name); return value === undefined ? super.has(name) : super.has(name, value); }
}

/** What every request may carry besides its action's own parameters. */
const ENVELOPE = /^(Action|Version|X-Amz-[A-Za-z-]+)$/;

/**
 * An action's input that refuses any parameter the handler never read, once it has read its own:
 * a parameter we would ignore is refused by name, never dropped in silence. (`Tags=`, an empty
 * list, counts as read when the handler looked at its members.)
 */
export class Strict extends Input {
  constructor(private readonly tracked: Tracked, private readonly action: string) { super(tracked); }
  override done(): void {
    super.done();
    const asked = [...this.tracked.asked];
    for (const [k, v] of this.tracked) {
      if (this.tracked.asked.has(k) || ENVELOPE.test(k) || (v === '' && asked.some((a) => a.startsWith(`${k}.`)))) continue;
      throw new AwsError('ValidationError', `${this.action} does not take the parameter ${k.slice(0, 128)}: this endpoint refuses what it would otherwise ignore`);
    }
  }
}
