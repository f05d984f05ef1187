// Server-side model validation. The JS SDK checks nothing and botocore only `required`/`min`,
// so every length, pattern, range and enum is enforced here, reported the way
// AWS does: "2 validation errors detected: Value 'x' at 'userName' failed to satisfy constraint: …; …".
import { AwsError } from './errors.js';

/** Model patterns, kept as the model writes them because the message quotes them. */
export const P = {
  name: String.raw`[\w+=,.@-]+`,
  path: String.raw`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`,
  pathPrefix: String.raw`\u002F[\u0021-\u007F]*`,
  serial: String.raw`[\w+=/:,.@-]+`,
  stsSerial: String.raw`[\w+=/:,.@-]*`,
  code: String.raw`[\d]+`,
  tokenCode: String.raw`[\d]*`,
  marker: String.raw`[\u0020-\u00FF]+`,
  policy: String.raw`[\u0009\u000A\u000D\u0020-\u00FF]+`,
  sessionName: String.raw`[\w+=,.@-]*`,
  externalId: String.raw`[\w+=,.@:\/-]*`,
  tagKey: String.raw`[\p{L}\p{Z}\p{N}_.:/=+\-@]+`,
  tagValue: String.raw`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`,
} as const;

const compiled = new Map<string, RegExp>();
const re = (src: string) => {
  let r = compiled.get(src);
  if (!r) compiled.set(src, (r = new RegExp(`^(?:${src})$`, 'u')));
  return r;
};

export interface StrRule { required?: boolean; min?: number; max?: number; pattern?: string; oneOf?: readonly string[] }
export interface IntRule { required?: boolean; min?: number; max?: number }
export interface Tag { Key: string; Value: string }

// AWS names members in camelCase in these messages: UserName -> userName.
const member = (wire: string) => wire[0]!.toLowerCase() + wire.slice(1);
const PATH_TEXT = 'The specified value for path is invalid. It must begin and end with / and contain only ' +
  'alphanumeric characters and/or / characters.';

/** What every request may carry besides its action's members. */
const ENVELOPE = /^(Action|Version|X-Amz-[A-Za-z-]+)$/;

/**
 * An action's parameters. Every name a handler reads or asks about is remembered, and done()
 * refuses whatever else the request sent: the Query protocol lets a client send anything, and a
 * parameter we silently dropped (a tag, a session policy, a list member after a gap) would look
 * honoured to the caller. `unsupported` names members this endpoint knows but will not honour.
 */
export class Input {
  private errs: string[] = [];
  private after: AwsError[] = [];
  private read = new Set<string>();
  constructor(readonly raw: URLSearchParams, readonly action?: string,
    private readonly unsupported?: ReadonlyMap<string, string>) {}

  has(wire: string): boolean { this.read.add(wire); return this.raw.has(wire); }

  private get(wire: string): string | null {
    this.read.add(wire);
    return this.raw.get(wire);
  }

  /**
   * Parameter names present in the request that the handler never read, in request order, once
   * each. `Name=` alone (the empty list, as the SDKs send []) asks for nothing when its members were
   * read, or when it names an unsupported list.
   */
  unread(): string[] {
    const asked = [...this.read];
    return [...new Set(this.raw.keys())].filter((k) => !this.read.has(k) && !ENVELOPE.test(k) &&
      !(this.raw.get(k) === '' && (this.unsupported?.has(k) || asked.some((a) => a.startsWith(`${k}.`)))));
  }

  private violations(at: string, v: string, r: StrRule): void {
    const fail = (what: string) => this.errs.push(
      `Value '${v}' at '${at}' failed to satisfy constraint: Member must ${what}`);
    const n = [...v].length;
    if (r.max !== undefined && n > r.max) fail(`have length less than or equal to ${r.max}`);
    if (r.min !== undefined && n < r.min) fail(`have length greater than or equal to ${r.min}`);
    if (r.pattern !== undefined && !re(r.pattern).test(v)) fail(`satisfy regular expression pattern: ${r.pattern}`);
    if (r.oneOf && !r.oneOf.includes(v)) fail(`satisfy enum value set: [${r.oneOf.join(', ')}]`);
  }

  str(wire: string, r: StrRule & { required: true }): string;
  str(wire: string, r?: StrRule): string | undefined;
  str(wire: string, r: StrRule = {}): string | undefined {
    const v = this.get(wire);
    if (v === null) {
      if (r.required) this.errs.push(
        `Value null at '${member(wire)}' failed to satisfy constraint: Member must not be null`);
      return undefined as unknown as string;
    }
    this.violations(member(wire), v, r);
    return v;
  }

  int(wire: string, r: IntRule = {}): number | undefined {
    const v = this.get(wire);
    const at = member(wire);
    if (v === null) {
      if (r.required) this.errs.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (!/^-?\d{1,15}$/.test(v)) {
      this.errs.push(`Value '${v}' at '${at}' failed to satisfy constraint: Member must be a number`);
      return undefined;
    }
    const n = Number(v);
    if (r.max !== undefined && n > r.max) this.errs.push(
      `Value '${n}' at '${at}' failed to satisfy constraint: Member must have value less than or equal to ${r.max}`);
    if (r.min !== undefined && n < r.min) this.errs.push(
      `Value '${n}' at '${at}' failed to satisfy constraint: Member must have value greater than or equal to ${r.min}`);
    return n;
  }

  /** pathType: the length is a model constraint; a bad shape gets IAM's own sentence (LocalStack's AWS snapshot). */
  path(wire = 'Path'): string {
    const v = this.get(wire);
    if (v === null) return '/';
    if ([...v].length > 512) this.errs.push(
      `Value at '${member(wire)}' failed to satisfy constraint: Member must have length less than or equal to 512`);
    else if (!re(P.path).test(v)) this.after.push(new AwsError('ValidationError', PATH_TEXT));
    return v;
  }

  /** `Name.member.N`, N from 1, each checked against `r`; `Name=` alone is the empty list. */
  strList(wire: string, r: StrRule, maxItems: number): string[] {
    this.read.add(wire);
    const out: string[] = [];
    for (let i = 1; ; i++) {
      const v = this.get(`${wire}.member.${i}`);
      if (v === null) break;
      this.violations(`${member(wire)}.${i}.member`, v, r);
      out.push(v);
    }
    if (out.length > maxItems) this.errs.push(
      `Value at '${member(wire)}' failed to satisfy constraint: Member must have length less than or equal to ` +
      `${maxItems}`);
    return out;
  }

  /**
   * `Tags.member.N.Key` / `.Value`, N from 1; `Tags=` alone is the empty list. Keys are unique
   * regardless of case; IAM reports a repeat as InvalidInput, STS as InvalidParameterValue.
   */
  tags(wire = 'Tags', duplicate: 'InvalidInput' | 'InvalidParameterValue' = 'InvalidInput'): Tag[] {
    this.read.add(wire);
    const out: Tag[] = [];
    for (let i = 1; ; i++) {
      const k = this.get(`${wire}.member.${i}.Key`), v = this.get(`${wire}.member.${i}.Value`);
      if (k === null && v === null) break;
      const at = `${member(wire)}.${i}.member`;
      if (k === null) this.errs.push(`Value null at '${at}.key' failed to satisfy constraint: Member must not be null`);
      else this.violations(`${at}.key`, k, { min: 1, max: 128, pattern: P.tagKey });
      if (v === null) this.errs.push(
        `Value null at '${at}.value' failed to satisfy constraint: Member must not be null`);
      else this.violations(`${at}.value`, v, { max: 256, pattern: P.tagValue });
      out.push({ Key: k ?? '', Value: v ?? '' });
    }
    if (out.length > 50) this.errs.push(
      `Value at '${member(wire)}' failed to satisfy constraint: Member must have length less than or equal to 50`);
    const seen = new Set<string>();
    for (const t of out) {
      const k = t.Key.toLowerCase();
      if (seen.has(k)) { this.after.push(new AwsError(duplicate,
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.')); break; }
      seen.add(k);
    }
    return out;
  }

  /** Throws every collected model violation at once, then the first semantic one, then the first unread parameter. */
  done(): void {
    const n = this.errs.length;
    if (n) throw new AwsError('ValidationError',
      `${n} validation error${n > 1 ? 's' : ''} detected: ${this.errs.join('; ')}`);
    if (this.after.length) throw this.after[0]!;
    const name = this.action === undefined ? undefined : this.unread()[0];
    if (name === undefined) return;
    const top = name.split('.')[0]!, why = this.unsupported?.get(top);
    if (why !== undefined) {
      throw new AwsError('UnsupportedParameter',
        `${this.action}: the local endpoint does not support ${top} (${why}). Leave ${top} out.`);
    }
    throw new AwsError('ValidationError',
      `${this.action} does not take the parameter ${name.slice(0, 128)}: this endpoint refuses what it would ` +
      `otherwise ignore`);
  }
}

export const paging = (p: Input) => ({
  marker: p.str('Marker', { min: 1, max: 320, pattern: P.marker }),
  maxItems: p.int('MaxItems', { min: 1, max: 1000 }),
});
