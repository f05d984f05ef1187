// `provision create` undoes everything after CreateVirtualMFADevice when a later step fails:
// injected failures after each step (PROVISION_FAIL_AT, test-only), a real AWS refusal, and --keep.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT, USER, expectExit, serialOf, boxEach } from './lib.js';

const R = suite('create rolls back after a failure at each step');
const b = boxEach(R);

const state = async () => ({
  iam: (JSON.parse(expectExit(await b.p(['--local', 'list', '--json']), 0, 'list').stdout) as
    { serialNumber: string; assigned: boolean }[]),
  token: (JSON.parse(expectExit(await b.t(['list', '--json']), 0, 'token list').stdout) as { id: string }[])
    .map((c) => c.id),
  mapping: b.mapping(),
});

const serial = serialOf('dev1');
const cred = `Amazon Web Services:dev1@${ACCOUNT}`;
const undone: Record<string, string[]> = {
  create: [`deleted IAM device ${serial}`],
  seed: [`deleted IAM device ${serial}`],
  'qr-out': ['deleted QR', `deleted IAM device ${serial}`],
  qr: ['deleted QR', `deleted IAM device ${serial}`],
  enroll: [`removed '${cred}' from token`, 'deleted QR', `deleted IAM device ${serial}`],
  enable: [`deactivated it for ${USER}`, `removed '${cred}' from token`, 'deleted QR', `deleted IAM device ${serial}`],
};

for (const step of Object.keys(undone)) {
  R(`a failure after '${step}' leaves IAM, the token, the mapping and --qr-out as they were`, async () => {
    const qr = join(b.dir, 'dev1.png');
    const r = expectExit(await b.p(['--local', 'create', 'dev1', '--user', USER, '--qr-out', qr], 0,
      { PROVISION_FAIL_AT: step }), 1, step);
    const line = r.stderr.trim();
    assert.is(line.split('\n').length, 1, r.stderr);
    assert.match(line, `provision: injected failure after step '${step}' (PROVISION_FAIL_AT); rolled back: `);
    const said = line.slice(line.indexOf('rolled back: ') + 13).replace(qr, 'QR').replace(/ FOB\d+/g, '').split(', ');
    assert.equal(said, undone[step]);
    assert.not.match(line, /could NOT undo/);
    assert.equal(await state(), { iam: [], token: [], mapping: {} });
    assert.not.ok(existsSync(qr));
  });
}

R('a real refusal (EnableMFADevice for a user that does not exist) rolls back too', async () => {
  const r = expectExit(await b.p(['--local', 'create', 'dev1', '--user', 'nobody']), 1, 'no such user');
  assert.match(r.stderr, new RegExp(/^provision: EnableMFADevice: NoSuchEntity: /.source +
    /The user with name nobody cannot be found\. Check the name with `aws iam list-users`, /.source +
    /or create the user: `aws iam create-user --user-name nobody`; /.source +
    /rolled back: removed 'Amazon Web Services:dev1@123456789012' from token FOB\d+, /.source +
    /deleted IAM device arn:aws:iam::123456789012:mfa\/dev1\n$/.source));
  assert.equal(await state(), { iam: [], token: [], mapping: {} });
});

R('--keep leaves everything in place and says what it kept', async () => {
  const r = expectExit(await b.p(['--local', 'create', 'dev1', '--user', USER, '--keep'], 0,
    { PROVISION_FAIL_AT: 'enable' }), 1, 'keep');
  assert.match(r.stderr, new RegExp(/kept \(--keep\): IAM device arn:aws:iam::123456789012:mfa\/dev1, /.source +
    /credential 'Amazon Web Services:dev1@123456789012' on token FOB\d+, enabled for kjh-SuperDuperUser\n$/.source));
  const s = await state();
  assert.equal(s.iam.map((d) => [d.serialNumber, d.assigned]), [[serial, true]]);
  assert.equal(s.token, [cred]);
  assert.is(s.mapping[serial]!.credential, cred);
});

R('PROVISION_FAIL_AT with an unknown step is a usage error', async () => {
  const r = expectExit(await b.p(['--local', 'create', 'dev1'], 0, { PROVISION_FAIL_AT: 'nope' }), 2, 'bad step');
  assert.match(r.stderr, /PROVISION_FAIL_AT must be one of create, seed, qr-out, qr, enroll, enable/);
});

R.run();
