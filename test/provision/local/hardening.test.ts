// The local endpoint under hostile input: names that are Object.prototype's keys, parameters it
// would otherwise ignore, state files damaged by hand, lock holders that are zombies, slow and
// greedy clients. In-process through the SDK (or raw signed HTTP), and through the
// `provision local-aws` process where exit codes, the lock, the port and fd limits are the point.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  CreateRoleCommand, CreateUserCommand, CreateVirtualMFADeviceCommand, GetRoleCommand, GetUserCommand, IAMClient,
  ListMFADeviceTagsCommand, ListUsersCommand, TagMFADeviceCommand, UntagMFADeviceCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { localAwsHolder, lockPathOf, startLocalAws } from '../../../provision/local/server.js';
import { readMapping, updateMapping } from '../../../provision/mapping.js';
import { freePort, PROVISION, tempDir } from '../../helpers.js';
import { failure, localAws, type Creds, type Local } from './helpers.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const PROTO_NAMES = ['__proto__', 'toString', 'hasOwnProperty', 'constructor', 'valueOf', '__defineGetter__'];
const trusting = (who: string) => JSON.stringify({
  Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: who }, Action: 'sts:AssumeRole' }],
});

/** A POST signed by the SDK's own signer, answered raw. */
async function raw(l: Local, body: string, c: Creds = l.admin, headers: Record<string, string> = {}) {
  const url = new URL(l.srv.endpoint);
  const signer = new SignatureV4({ credentials: c, region: 'us-east-1', service: 'iam', sha256: Sha256 });
  const req = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers }, body,
  });
  const res = await fetch(`${l.srv.endpoint}/`, { method: 'POST', headers: req.headers, body });
  return { status: res.status, text: await res.text() };
}
const codeOf = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
const messageOf = (xml: string) => /<Message>([^<]*)<\/Message>/.exec(xml)?.[1];

// ---------------------------------------------------------------------------------------------
const P = suite('local IAM: Object.prototype names are names like any other');
let l: Local;
P.before(async () => { l = await localAws(); });
P.after(async () => { await l.done(); });

P('GetUser, GetRole and CreateAccessKey for prototype names that were never created: ' +
  'NoSuchEntity 404, never a 500 or a key', async () => {
  for (const n of PROTO_NAMES) {
    const u = await failure(l.iam().send(new GetUserCommand({ UserName: n })));
    assert.is(u.name, 'NoSuchEntityException', `GetUser ${n}: ${u.message}`);
    assert.is(u.$metadata.httpStatusCode, 404);
    assert.is(u.message, `The user with name ${n} cannot be found.`);
    const r = await failure(l.iam().send(new GetRoleCommand({ RoleName: n })));
    assert.is(r.name, 'NoSuchEntityException', `GetRole ${n}: ${r.message}`);
    const k = await raw(l, `Action=CreateAccessKey&Version=2010-05-08&UserName=${n}`);
    assert.is(k.status, 404, `CreateAccessKey ${n}: ${k.text}`);
    assert.is(codeOf(k.text), 'NoSuchEntity');
    assert.not.match(k.text, 'SecretAccessKey');
  }
});

P('users and roles named after prototype keys are created, listed, fetched and survive a restart ' +
  '(journal replay)', async () => {
  for (const n of PROTO_NAMES) {
    const c = await l.iam().send(new CreateUserCommand({ UserName: n, Tags: [{ Key: 'k', Value: n }] }));
    assert.is(c.User!.UserName, n);
    await l.iam().send(new CreateRoleCommand({ RoleName: n, AssumeRolePolicyDocument: trusting('123456789012') }));
  }
  const again = await failure(l.iam().send(new CreateUserCommand({ UserName: '__PROTO__' })));
  assert.is(again.message, 'User with name __PROTO__ already exists.',
    'IAM names are unique regardless of case, these too');
  const listed = (await l.iam().send(new ListUsersCommand({}))).Users!.map((u) => u.UserName);
  for (const n of PROTO_NAMES) assert.ok(listed.includes(n), `${n} listed: ${listed.join(' ')}`);
  await l.srv.close();
  assert.match(readFileSync(`${l.statePath}.journal`, 'utf8'), '"users","__proto__"',
    'the records travel through the journal');
  const back = await localAws({ statePath: l.statePath, clock: l.clock });
  try {
    for (const n of PROTO_NAMES) {
      const u = await back.iam().send(new GetUserCommand({ UserName: n }));
      assert.equal(u.User!.Tags, [{ Key: 'k', Value: n }], n);
      assert.is((await back.iam().send(new GetRoleCommand({ RoleName: n }))).Role!.RoleName, n);
    }
    assert.is((await back.iam().send(new ListUsersCommand({}))).Users!.length, PROTO_NAMES.length + 2,
      'the seed user, the administrator and these');
  } finally { await back.srv.close(); }
  l = await localAws();
});

P('an Action that is an Object.prototype key is InvalidAction 400, not a handler', async () => {
  for (const a of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
    const r = await raw(l, `Action=${a}&Version=2010-05-08`);
    assert.is(r.status, 400, `${a}: ${r.text}`);
    assert.is(codeOf(r.text), 'InvalidAction');
    assert.is(messageOf(r.text), `Could not find operation ${a} for version 2010-05-08`);
  }
});

P('the mapping: serials named after prototype keys are rows like others, ' +
  'through the journal and a reload', async () => {
  const t = tempDir();
  try {
    const path = join(t.dir, 'provision.json');
    const row = (token: string) => ({ token, credential: `c:${token}`, name: token, created: '2030-01-01T00:00:00Z' });
    assert.is(readMapping(path)['toString' as string], undefined, 'an empty mapping has no toString row');
    // the first write is a snapshot, the next ones journal lines
    await updateMapping(path, (m) => { m.seed = row('seed'); });
    for (const n of PROTO_NAMES) await updateMapping(path, (m) => { m[n] = row(n); });
    const m = readMapping(path);
    assert.equal(Object.keys(m).sort(), ['seed', ...PROTO_NAMES].sort());
    for (const n of PROTO_NAMES) assert.is(m[n]!.token, n);
    assert.match(readFileSync(`${path}.journal`, 'utf8'), '"devices","__proto__"');
    await updateMapping(path, (m) => { delete m.__proto__; });
    assert.equal(Object.keys(readMapping(path)).sort(),
      ['seed', ...PROTO_NAMES.filter((n) => n !== '__proto__')].sort());
    assert.is(readMapping(path)['valueOf' as string]!.token, 'valueOf');
  } finally { t.done(); }
});

P.run();

// ---------------------------------------------------------------------------------------------
const A = suite('local IAM: parameters are honoured or refused by name, never ignored');
A.before(async () => { l = await localAws(); });
A.after(async () => { await l.done(); });

A('a parameter the action does not take is ValidationError naming it; so is a list member after a gap', async () => {
  const cases: [string, string][] = [
    ['Action=CreateUser&Version=2010-05-08&UserName=u1&Frobnicate=1',
      'CreateUser does not take the parameter Frobnicate'],
    ['Action=CreateUser&Version=2010-05-08&UserName=u2&Tags.member.1.Key=a&Tags.member.1.Value=b' +
      '&Tags.member.3.Key=c&Tags.member.3.Value=d',
      'CreateUser does not take the parameter Tags.member.3.Key'],
    ['Action=ListUsers&Version=2010-05-08&MaxItem=5', 'ListUsers does not take the parameter MaxItem'],
    ['Action=CreateVirtualMFADevice&Version=2010-05-08&VirtualMFADeviceName=d1&Tag.member.1.Key=a&Tag.member.1.Value=b',
      'CreateVirtualMFADevice does not take the parameter Tag.member.1.Key'],
    ['Action=GetRole&Version=2010-05-08&RoleName=kjh-DuperRole&MaxSessionDuration=7200',
      'GetRole does not take the parameter MaxSessionDuration'],
  ];
  for (const [body, text] of cases) {
    const r = await raw(l, body);
    assert.is(r.status, 400, `${body}: ${r.text}`);
    assert.is(codeOf(r.text), 'ValidationError');
    assert.is(messageOf(r.text), `${text}: this endpoint refuses what it would otherwise ignore`);
  }
  const none = await failure(l.iam().send(new GetUserCommand({ UserName: 'u1' })));
  assert.is(none.name, 'NoSuchEntityException', 'the refused CreateUser created nothing');
  const ok = await raw(l, 'Action=CreateUser&Version=2010-05-08&UserName=u3&Tags=');
  assert.is(ok.status, 200, `an empty list (Tags=) is a list: ${ok.text}`);
});

A('CreateRole answers Role without MaxSessionDuration (as AWS does); ' +
  'GetRole carries it, Description and Tags both', async () => {
  const r = await raw(l, `Action=CreateRole&Version=2010-05-08&RoleName=r1&MaxSessionDuration=7200&Description=ops` +
    `&Tags.member.1.Key=team&Tags.member.1.Value=ops` +
    `&AssumeRolePolicyDocument=${encodeURIComponent(trusting('123456789012'))}`);
  assert.is(r.status, 200, r.text);
  assert.not.match(r.text, 'MaxSessionDuration');
  assert.match(r.text, '<Description>ops</Description>');
  assert.match(r.text, '<Tags><member><Key>team</Key><Value>ops</Value></member></Tags>');
  const c = await l.iam().send(new CreateRoleCommand({
    RoleName: 'r2', AssumeRolePolicyDocument: trusting('123456789012'), MaxSessionDuration: 7200,
  }));
  assert.is(c.Role!.MaxSessionDuration, undefined);
  const g = await l.iam().send(new GetRoleCommand({ RoleName: 'r1' }));
  assert.is(g.Role!.MaxSessionDuration, 7200);
  assert.is(g.Role!.Description, 'ops');
  assert.equal(g.Role!.Tags, [{ Key: 'team', Value: 'ops' }]);
});

A('MFA device tags: CreateVirtualMFADevice Tags are served by ListMFADeviceTags; ' +
  'TagMFADevice adds and replaces, UntagMFADevice removes; paging', async () => {
  const d = await l.iam().send(new CreateVirtualMFADeviceCommand({
    VirtualMFADeviceName: 'tagged', Tags: [{ Key: 'team', Value: 'ops' }, { Key: 'ci', Value: 'yes' }],
  }));
  const SerialNumber = d.VirtualMFADevice!.SerialNumber!;
  const tags = async () => (await l.iam().send(new ListMFADeviceTagsCommand({ SerialNumber }))).Tags;
  assert.equal(await tags(), [{ Key: 'team', Value: 'ops' }, { Key: 'ci', Value: 'yes' }]);
  await l.iam().send(new TagMFADeviceCommand({
    SerialNumber, Tags: [{ Key: 'TEAM', Value: 'dev' }, { Key: 'owner', Value: 'kjh' }],
  }));
  assert.equal(await tags(),
    [{ Key: 'TEAM', Value: 'dev' }, { Key: 'ci', Value: 'yes' }, { Key: 'owner', Value: 'kjh' }]);
  const p1 = await l.iam().send(new ListMFADeviceTagsCommand({ SerialNumber, MaxItems: 2 }));
  assert.equal([p1.Tags!.length, p1.IsTruncated], [2, true]);
  const p2 = await l.iam().send(new ListMFADeviceTagsCommand({ SerialNumber, MaxItems: 2, Marker: p1.Marker! }));
  assert.equal([...p1.Tags!, ...p2.Tags!].map((t) => t.Key), ['TEAM', 'ci', 'owner']);
  assert.is(p2.IsTruncated, false);
  await l.iam().send(new UntagMFADeviceCommand({ SerialNumber, TagKeys: ['team', 'nothing-here'] }));
  assert.equal(await tags(), [{ Key: 'ci', Value: 'yes' }, { Key: 'owner', Value: 'kjh' }]);
  const none = await failure(l.iam()
    .send(new ListMFADeviceTagsCommand({ SerialNumber: 'arn:aws:iam::123456789012:mfa/ghost' })));
  assert.is(none.name, 'NoSuchEntityException');
  assert.is(none.message, 'MFA Device with serial number arn:aws:iam::123456789012:mfa/ghost does not exist.');
  const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  const over = await failure(l.iam().send(new TagMFADeviceCommand({ SerialNumber, Tags: many })));
  assert.is(over.name, 'LimitExceededException');
  const noTags = await raw(l,
    `Action=TagMFADevice&Version=2010-05-08&SerialNumber=${encodeURIComponent(SerialNumber)}`);
  assert.is(messageOf(noTags.text),
    "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
  await l.srv.close();
  const back = await localAws({ statePath: l.statePath, clock: l.clock });
  try {
    assert.equal((await back.iam().send(new ListMFADeviceTagsCommand({ SerialNumber }))).Tags,
      [{ Key: 'ci', Value: 'yes' }, { Key: 'owner', Value: 'kjh' }]);
  } finally { await back.srv.close(); }
  l = await localAws();
});

A.run();

// ---------------------------------------------------------------------------------------------
interface Served { child: ChildProcess; out(): string; err(): string; exit: Promise<number | null> }

/** `provision local-aws --json --state STATE ARGS`, through `sh -c PREFIX exec node …` when given. */
function serve(state: string, args: string[], prefix = ''): Promise<Served> {
  const argv = [PROVISION, 'local-aws', '--json', '--state', state, ...args];
  const child = prefix
    ? spawn('sh', ['-c', `${prefix}; exec "$0" "$@"`, process.execPath, ...argv],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  let out = '', err = '';
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL'); reject(new Error(`neither ready nor exited in 30 s: ${err}`));
    }, 30_000);
    const done = () => { clearTimeout(t); resolve({ child, out: () => out, err: () => err, exit }); };
    child.stdout!.on('data', (b) => { out += b; if (out.includes('\n')) done(); });
    child.stderr!.on('data', (b) => (err += b));
    void exit.then(done);
  });
}

/** Resolves to the exit code, or 'hung' if the process is still alive after `ms` (then killed). */
const exited = (s: Served, ms = 30_000) =>
  Promise.race([s.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms).unref())])
    .then((v) => { if (v === 'hung') s.child.kill('SIGKILL'); return v; });

const portFree = (port: number) => new Promise<boolean>((r) => {
  const s = createServer();
  s.once('error', () => r(false));
  s.listen(port, '127.0.0.1', () => s.close(() => r(true)));
});

const C = suite('provision local-aws: a damaged state file is one line, exit 1, lock and port freed');

C('seven corruptions (fixture user or key gone, dangling references, wrong types, ' +
  'a key not its record\'s, a damaged journal op)', async () => {
  const t = tempDir();
  try {
    const base = join(t.dir, 'base.json');
    const first = await serve(base, ['--port', '0']);
    const fixture = JSON.parse(first.out());
    first.child.kill('SIGTERM');
    assert.is(await first.exit, 0);
    const good = JSON.parse(readFileSync(base, 'utf8'));
    type Doc = typeof good;
    const corruptions: [string, (d: Doc) => void, RegExp, string?][] = [
      ['fixture user deleted', (d) => { delete d.users['kjh-SuperDuperUser']; },
        /keys\["AKIA[A-Z2-7]+"\]\.user names user "kjh-SuperDuperUser", which is not in users/],
      ['fixture key deleted', (d) => { delete d.keys[fixture.accessKeyId]; },
        /fixture\.key names key "AKIA[A-Z2-7]+", which is not in keys/],
      ['fixture role deleted', (d) => { delete d.roles['kjh-DuperRole']; },
        /fixture\.role names role "kjh-DuperRole", which is not in roles/],
      ['a user\'s created is text', (d) => { d.users['kjh-SuperDuperUser'].created = 'yesterday'; },
        /users\["kjh-SuperDuperUser"\]\.created is not a number/],
      ['a record under another name', (d) => { d.roles.other = d.roles['kjh-DuperRole']; },
        /roles\["other"\]\.name is "kjh-DuperRole", not its own key/],
      ['users is a list', (d) => { d.users = []; }, /users is not a collection of records/],
      ['a journal line deletes the fixture user', () => {},
        /keys\["AKIA[A-Z2-7]+"\]\.user names user "kjh-SuperDuperUser"/, '[["users","kjh-SuperDuperUser"]]\n'],
      ['a journal op that is not an op', () => {}, /base\.json\.journal line 1 is damaged/, '[null]\n'],
    ];
    for (const [what, spoil, why, journal] of corruptions) {
      const state = join(t.dir, `${what.replace(/\W+/g, '-')}.json`);
      const d = structuredClone(good);
      spoil(d);
      writeFileSync(state, JSON.stringify(d), { mode: 0o600 });
      if (journal) writeFileSync(`${state}.journal`, journal, { mode: 0o600 });
      const port = await freePort();
      const s = await serve(state, ['--port', String(port)]);
      const code = await exited(s);
      assert.is(code, 1, `${what}: exit ${code}, stderr ${s.err()}`);
      assert.is(s.out(), '', `${what}: nothing on stdout`);
      const lines = s.err().trim().split('\n');
      assert.is(lines.length, 1, `${what}: ${s.err()}`);
      assert.match(lines[0]!, new RegExp(`^provision local-aws: ${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` +
        `${journal === '[null]\n' ? '' : ' is damaged: '}`), what);
      assert.match(lines[0]!, journal === '[null]\n' ? /line 1 is damaged/ : why, `${what}: ${lines[0]}`);
      assert.not.match(s.err(), /TypeError|\n\s+at /);
      assert.not.ok(existsSync(lockPathOf(state)), `${what}: the lock is freed`);
      assert.ok(await portFree(port), `${what}: port ${port} is released`);
    }
  } finally { t.done(); }
});

C.run();

// ---------------------------------------------------------------------------------------------
const Z = suite('the endpoint\'s lock: one liveness rule, a zombie holder is dead');

Z('a lock held by a zombie (exited, never reaped by its parent) is taken over, in-process and by the CLI', async () => {
  const t = tempDir();
  // The parent forks, prints the child's pid, and sleeps without ever calling wait(): the child stays a zombie.
  const parent = spawn('python3',
    ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(600)'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const pid = Number(await new Promise<string>((r) => parent.stdout!.once('data', (b) => r(String(b)))));
    let stat = '';
    for (let i = 0; i < 200 && !/^\S+ \(.*\) Z /.test(stat); i++) {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); await new Promise((r) => setTimeout(r, 25));
    }
    assert.match(stat, /^\S+ \(.*\) Z /, 'the holder is a zombie');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const state = join(t.dir, 'state.json');
    const zombieLock = JSON.stringify({ pid, started, role: 'local-aws' });
    writeFileSync(lockPathOf(state), zombieLock, { mode: 0o600 });
    assert.is(localAwsHolder(state), null, 'a zombie holds nothing');
    const s = await startLocalAws({ statePath: state, port: 0 });
    assert.is(JSON.parse(readFileSync(lockPathOf(state), 'utf8')).pid, process.pid);
    await s.close();
    writeFileSync(lockPathOf(state), zombieLock, { mode: 0o600 });
    const cli = await serve(state, ['--port', '0']);
    assert.ok(cli.out().includes('"endpoint"'), cli.err());
    cli.child.kill('SIGTERM');
    assert.is(await cli.exit, 0, cli.err());
  } finally { parent.kill('SIGKILL'); t.done(); }
});

Z.run();

// ---------------------------------------------------------------------------------------------
const L = suite('slow and greedy clients: deadlines, a body cap, and idle sockets that cannot lock anyone out');

L('a client that never finishes its headers is cut by the server (headers deadline)', async () => {
  const lo = await localAws({ limits: { headersMs: 300 } });
  try {
    const sock = connect(Number(new URL(lo.srv.endpoint).port), '127.0.0.1');
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.write('POST / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
    const trickle = setInterval(() => sock.write('X-More: 1\r\n'), 100);
    // Generous: the deadline is 0.3 s; without one nothing closes it within the 60 s bound.
    const closed = await Promise.race([new Promise((r) => sock.once('close', () => r(true))),
      new Promise((r) => setTimeout(() => r(false), 60_000).unref())]);
    clearInterval(trickle);
    assert.ok(closed, 'the server closed the slow socket');
  } finally { await lo.done(); }
});

L('a body over 1 MiB is refused with 413 at once, from its Content-Length or as it streams', async () => {
  const lo = await localAws();
  try {
    const port = Number(new URL(lo.srv.endpoint).port);
    const ask = (head: string, body: string) => new Promise<string>((res) => {
      const s = connect(port, '127.0.0.1', () => s.write(head + body));
      let got = '';
      s.on('data', (b) => (got += b));
      s.on('error', () => {});
      s.on('close', () => res(got));
    });
    // Announces 50 MB and sends 10 bytes: an unbounded reader would wait for the rest forever.
    const r1 = await ask('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      'Content-Length: 50000000\r\n\r\n', 'Action=Get');
    assert.match(r1, /^HTTP\/1\.1 413 /);
    assert.match(r1, '<Code>RequestEntityTooLarge</Code>');
    const r2 = await ask('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n',
      `${(2 << 20).toString(16)}\r\n${'a'.repeat(2 << 20)}\r\n`);
    assert.match(r2, /^HTTP\/1\.1 413 /);
    assert.is((await lo.sts().send(new GetCallerIdentityCommand({}))).Account, '123456789012',
      'and it goes on serving');
  } finally { await lo.done(); }
});

L('slowloris under `ulimit -n 256`: 300 idle and 100 trickling sockets, reopened every second, ' +
  'while 60 SDK requests all succeed', async () => {
  const t = tempDir();
  const s = await serve(join(t.dir, 'state.json'), ['--port', '0'], 'ulimit -n 256');
  const held = new Set<Socket>(), trickling = new WeakSet<Socket>();
  const cleanup: (() => void)[] = [];
  let stop = false, cut = 0, opened = 0;
  try {
    const j = JSON.parse(s.out());
    const port = Number(new URL(j.endpoint).port);
    const open = (trickle: boolean) => {
      if (stop) return;
      opened++;
      const sock = connect(port, '127.0.0.1');
      held.add(sock);
      if (trickle) trickling.add(sock);
      let timer: NodeJS.Timeout | undefined;
      sock.on('error', () => {});
      sock.on('connect', () => {
        if (!trickle) return;
        sock.write('POST / HTTP/1.1\r\nHost: x\r\n');
        timer = setInterval(() => sock.write('X-Slow: 1\r\n'), 500);
      });
      sock.on('close', () => {
        clearInterval(timer);
        held.delete(sock);
        if (!stop) cut++;
      });
    };
    // As slowloris does: every cycle, reopen whatever the server has cut, back to 300 idle + 100 trickling.
    const topUp = () => {
      let idle = 0, slow = 0;
      for (const x of held) (trickling.has(x) ? slow++ : idle++);
      for (let i = idle; i < 300; i++) open(false);
      for (let i = slow; i < 100; i++) open(true);
    };
    topUp();
    const cycle = setInterval(topUp, 1000);
    cleanup.push(() => clearInterval(cycle));
    await new Promise((r) => setTimeout(r, 1000));
    // The SDK's own retries (3 attempts), as every real client has them: a keep-alive socket the
    // server closes as idle just as a request goes out is retried, as against any HTTP server.
    // Without the caps, no attempt gets a socket at all (fds exhausted: 0 of 60).
    const cfg = { region: 'us-east-1', endpoint: j.endpoint,
      credentials: { accessKeyId: j.accessKeyId, secretAccessKey: j.secretAccessKey } };
    const iam = new IAMClient({ ...cfg,
      credentials: { accessKeyId: j.adminAccessKeyId, secretAccessKey: j.adminSecretAccessKey } });
    const sts = new STSClient(cfg);
    let ok = 0;
    const failures: string[] = [];
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 15; i++) {
        try {
          if (i % 3 === 0) await iam.send(new CreateUserCommand({ UserName: `legit-${w}-${i}` }));
          else assert.is((await sts.send(new GetCallerIdentityCommand({}))).Account, '123456789012');
          ok++;
        } catch (e) { failures.push(`${(e as Error).name}: ${(e as Error).message}`); }
      }
    }));
    iam.destroy(); sts.destroy();
    process.stderr.write(`slowloris: ${opened} attacker sockets opened, ${cut} cut by the server, ` +
      `${held.size} held at the end; ${ok}/60 legit requests ok\n`);
    assert.equal(failures, [], `${failures.length} legit requests failed`);
    assert.is(ok, 60);
    assert.ok(cut >= 100, `the server cut only ${cut} attacker sockets`);
    stop = true;
    cleanup.forEach((f) => f());
    for (const x of held) x.destroy();
    s.child.kill('SIGTERM');
    assert.is(await exited(s), 0, s.err());
  } finally {
    stop = true; cleanup.forEach((f) => f()); for (const x of held) x.destroy(); s.child.kill('SIGKILL'); t.done();
  }
});

L.run();
