// Archive submissions as students (and attackers) make them: real .zip and
// .tar.gz files, built with zip/tar or crafted with Python's zipfile/tarfile
// where a name, a link or a size must be hostile. What a user notices: a good
// archive grades like the folder it holds; a bad one is refused with a clear
// "archive rejected: ..." and nothing is written outside the scratch folder.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_LIMITS, unpackArchive } from '../runner/archive.js';
import { fixture, grade, summary, tempDir, runCli } from './helpers.js';

/** Runs a Python snippet in `cwd`, with helpers to write zip and tar.gz entries exactly as given. */
async function craft(cwd: string, body: string): Promise<void> {
  const prelude = `
import zipfile, tarfile, io
def zip_entries(name, entries):
    with zipfile.ZipFile(name, 'w', zipfile.ZIP_DEFLATED) as zf:
        for n, data, mode in entries:
            zi = zipfile.ZipInfo(n)
            zi.create_system = 3
            zi.external_attr = mode << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
class Zeros:
    def __init__(self, n): self.n = n
    def read(self, k=-1):
        k = self.n if k < 0 else min(k, self.n)
        self.n -= k
        return b'\\0' * k
def tar_entries(name, entries):
    with tarfile.open(name, 'w:gz') as tf:
        for n, kind, data, link in entries:
            ti = tarfile.TarInfo(n)
            ti.type = kind
            ti.linkname = link
            ti.mode = 0o644
            if isinstance(data, int):
                ti.size = data
                tf.addfile(ti, Zeros(data))
            else:
                ti.size = len(data or b'')
                tf.addfile(ti, io.BytesIO(data) if data else None)
REG, SYM, LNK, CHR, FIFO = tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE
`;
  await execa('python3', ['-c', prelude + body], { cwd });
}

/** Everything under `dir`, as sorted relative paths. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('unpacking a good archive', () => {
  it('unwraps the single folder students zip, keeps the executable bit and links inside the folder', async () => {
    const dir = tempDir();
    await craft(
      dir,
      `zip_entries('alice.zip', [
        ('alice/', b'', 0o040755),
        ('alice/server', b'#!/bin/sh\\necho hi\\n', 0o100755),
        ('alice/src/server.c', b'int main(void) { return 0; }\\n', 0o100644),
        ('alice/run', b'server', 0o120777),
        ('__MACOSX/alice/._server', b'junk', 0o100644),
      ])`,
    );
    const into = path.join(dir, 'out');
    await unpackArchive(path.join(dir, 'alice.zip'), into);
    expect(tree(into)).toEqual(['run', 'server', 'src', 'src/server.c']);
    expect(statSync(path.join(into, 'server')).mode & 0o111).not.toBe(0);
    expect(statSync(path.join(into, 'src', 'server.c')).mode & 0o111).toBe(0);
    expect(lstatSync(path.join(into, 'run')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(into, 'run'))).toBe('server');
  });

  it('does not unwrap when the top level holds more than one thing', async () => {
    const dir = tempDir();
    await craft(dir, `zip_entries('two.zip', [('src/server.c', b'x', 0o100644), ('Makefile', b'server:\\n', 0o100644)])`);
    const into = path.join(dir, 'out');
    await unpackArchive(path.join(dir, 'two.zip'), into);
    expect(tree(into)).toEqual(['Makefile', 'src', 'src/server.c']);
  });

  it('unpacks a tar.gz made by tar, hard links copied', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'bob'));
    cpSync(fixture('calculator-server', 'correct-c-makefile'), path.join(dir, 'bob'), { recursive: true });
    await execa('ln', ['bob/server.c', 'bob/copy.c'], { cwd: dir });
    await execa('tar', ['czf', 'bob.tar.gz', 'bob'], { cwd: dir });
    const into = path.join(dir, 'out');
    await unpackArchive(path.join(dir, 'bob.tar.gz'), into);
    expect(tree(into)).toEqual(['Makefile', 'copy.c', 'server.c']);
    expect(readFileSync(path.join(into, 'copy.c'), 'utf8')).toBe(readFileSync(path.join(into, 'server.c'), 'utf8'));
  });

  it('grades a zipped folder and a tar.gz like the folders they hold', async () => {
    const dir = tempDir();
    cpSync(fixture('calculator-server', 'correct-c-plain'), path.join(dir, 'alice'), { recursive: true });
    cpSync(fixture('calculator-server', 'correct-python'), path.join(dir, 'bob'), { recursive: true });
    await execa('chmod', ['a-x', 'bob/server'], { cwd: dir }); // archives often lose the x bit; a script still runs
    await execa('zip', ['-qr', 'alice.zip', 'alice'], { cwd: dir });
    await execa('tar', ['czf', 'bob.tar.gz', 'bob'], { cwd: dir });
    const zipped = await grade('calculator-server', path.join(dir, 'alice.zip'));
    expect(zipped.score, summary(zipped)).toBe(100);
    const tarred = await grade('calculator-server', path.join(dir, 'bob.tar.gz'));
    expect(tarred.score, summary(tarred)).toBe(100);
  });
});

// Each archive must be refused before anything is written: `into` never appears, nor anything outside it.
const HOSTILE: { name: string; file: string; make: string; says: RegExp }[] = [
  { name: 'zip-slip (../)', file: 'slip.zip', make: `zip_entries('slip.zip', [('ok.c', b'x', 0o100644), ('../evil.c', b'x', 0o100644)])`, says: /entry '\.\.\/evil\.c' escapes the submission folder/ },
  { name: 'zip-slip in the middle of a path', file: 'slip2.zip', make: `zip_entries('slip2.zip', [('a/../../evil.c', b'x', 0o100644)])`, says: /escapes the submission folder/ },
  { name: 'absolute path (zip)', file: 'abs.zip', make: `zip_entries('abs.zip', [('/tmp/evil.c', b'x', 0o100644)])`, says: /entry '\/tmp\/evil\.c' is an absolute path/ },
  { name: 'Windows drive path (zip)', file: 'drive.zip', make: `zip_entries('drive.zip', [('C:\\\\evil.c', b'x', 0o100644)])`, says: /absolute path/ },
  { name: 'symlink to an absolute path (zip)', file: 'link.zip', make: `zip_entries('link.zip', [('server', b'/etc/passwd', 0o120777)])`, says: /link 'server' points outside the submission folder \(\/etc\/passwd\)/ },
  { name: 'symlink climbing out (zip)', file: 'up.zip', make: `zip_entries('up.zip', [('a/server', b'../../secret', 0o120777), ('b', b'', 0o100644)])`, says: /link 'a\/server' points outside/ },
  { name: 'symlink through another link', file: 'via.zip', make: `zip_entries('via.zip', [('d', b'.', 0o120777), ('e', b'd/../secret', 0o120777)])`, says: /link 'e' goes through another link \('d'\)/ },
  { name: 'file written through a link', file: 'through.zip', make: `zip_entries('through.zip', [('d', b'sub', 0o120777), ('d/x.c', b'x', 0o100644), ('sub/y.c', b'', 0o100644)])`, says: /entry 'd\/x\.c' lies inside the link 'd'/ },
  { name: 'the same entry twice', file: 'twice.zip', make: `zip_entries('twice.zip', [('server.c', b'x', 0o100644), ('./server.c', b'y', 0o100644)])`, says: /appears twice/ },
  { name: 'a named pipe (zip)', file: 'fifo.zip', make: `zip_entries('fifo.zip', [('p', b'', 0o010644)])`, says: /special file/ },
  { name: 'too many entries', file: 'many.zip', make: `zip_entries('many.zip', [(f'f{i}.c', b'', 0o100644) for i in range(${ARCHIVE_LIMITS.maxEntries + 1})])`, says: new RegExp(`more than the ${ARCHIVE_LIMITS.maxEntries} allowed`) },
  { name: 'too deep', file: 'deep.zip', make: `zip_entries('deep.zip', [('d/' * 20 + 'f.c', b'', 0o100644)])`, says: /nested deeper than 16 folders/ },
  {
    name: 'zip bomb: 200 MB of zeros',
    file: 'bomb.zip',
    make: `
with zipfile.ZipFile('bomb.zip', 'w', zipfile.ZIP_DEFLATED) as zf:
    with zf.open('zeros', 'w', force_zip64=True) as f:
        for i in range(200): f.write(b'\\0' * (1 << 20))`,
    says: /unpacks to more than the 64 MB allowed/,
  },
  { name: 'zip bomb under the size cap: 10 MB from 10 KB', file: 'ratio.zip', make: `zip_entries('ratio.zip', [('zeros', b'\\0' * (10 << 20), 0o100644)])`, says: /entry 'zeros' expands \d+ times .*an archive bomb/ },
  { name: 'corrupt zip (truncated)', file: 'cut.zip', make: `zip_entries('whole.zip', [('server.c', b'int main;' * 100, 0o100644)]); open('cut.zip', 'wb').write(open('whole.zip', 'rb').read()[:80])`, says: /corrupt or unreadable archive/ },
  { name: 'not a zip at all', file: 'text.zip', make: `open('text.zip', 'w').write('hello, I am a text file\\n' * 10)`, says: /corrupt or unreadable archive/ },
  { name: 'tar-slip (../)', file: 'slip.tar.gz', make: `tar_entries('slip.tar.gz', [('../evil.c', REG, b'x', '')])`, says: /entry '\.\.\/evil\.c' escapes the submission folder/ },
  { name: 'absolute path (tar)', file: 'abs.tar.gz', make: `tar_entries('abs.tar.gz', [('/etc/evil', REG, b'x', '')])`, says: /entry '\/etc\/evil' is an absolute path/ },
  { name: 'symlink out (tar)', file: 'link.tar.gz', make: `tar_entries('link.tar.gz', [('server', SYM, None, '/etc/passwd')])`, says: /link 'server' points outside/ },
  { name: 'symlink climbing out of an unwrapped folder (tar)', file: 'wrap.tar.gz', make: `tar_entries('wrap.tar.gz', [('bob/a.c', REG, b'x', ''), ('bob/secret', SYM, None, '../secret')])`, says: /link 'bob\/secret' points outside/ },
  { name: 'hard link to a host file (tar)', file: 'hard.tar.gz', make: `tar_entries('hard.tar.gz', [('server', LNK, None, '/etc/shadow')])`, says: /hard link 'server' -> '\/etc\/shadow' is an absolute path/ },
  { name: 'hard link to nothing stored (tar)', file: 'hard2.tar.gz', make: `tar_entries('hard2.tar.gz', [('server', LNK, None, 'elsewhere')])`, says: /does not name a file stored before it/ },
  { name: 'a device (tar)', file: 'dev.tar.gz', make: `tar_entries('dev.tar.gz', [('null', CHR, None, '')])`, says: /'null' is a CharacterDevice entry/ },
  { name: 'tar bomb: a 200 MB entry', file: 'bomb.tar.gz', make: `tar_entries('bomb.tar.gz', [('zeros', REG, 200 << 20, '')])`, says: /unpacks to more than the 64 MB allowed/ },
  { name: 'tar bomb under the size cap: 10 MB of zeros', file: 'ratio.tar.gz', make: `tar_entries('ratio.tar.gz', [('zeros', REG, 10 << 20, '')])`, says: /expands \d+ times .*an archive bomb/ },
  { name: 'corrupt tar.gz (truncated)', file: 'cut.tar.gz', make: `tar_entries('whole.tar.gz', [('server.c', REG, bytes(range(256)) * 64, '')]); d = open('whole.tar.gz', 'rb').read(); open('cut.tar.gz', 'wb').write(d[:len(d) // 2])`, says: /corrupt or unreadable archive/ },
  // A hostile name must not reach a terminal or a log as control bytes: shown escaped, on one line.
  { name: 'a name with ESC and a newline, climbing out (tar)', file: 'esc.tar.gz', make: `tar_entries('esc.tar.gz', [('\\x1b[2J\\nfake: line/../../x', REG, b'x', '')])`, says: /^[^\x00-\x1f\x7f]*entry '\\x1b\[2J\\x0afake: line\/\.\.\/\.\.\/x' escapes/ },
  { name: 'a link whose target holds ESC (tar)', file: 'esclink.tar.gz', make: `tar_entries('esclink.tar.gz', [('server', SYM, None, '/\\x1b]0;owned\\x07')])`, says: /^[^\x00-\x1f\x7f]*\(\/\\x1b\]0;owned\\x07\)$/ },
  { name: 'a .tar.gz that is not gzip', file: 'plain.tar.gz', make: `open('plain.tar.gz', 'w').write('not gzip\\n' * 100)`, says: /corrupt or unreadable archive/ },
];

describe('unpacking a hostile or broken archive', () => {
  for (const h of HOSTILE) {
    it(`refuses ${h.name}, writing nothing`, async () => {
      const dir = tempDir();
      const work = path.join(dir, 'a', 'b');
      mkdirSync(work, { recursive: true });
      await craft(work, h.make);
      const before = tree(dir);
      const into = path.join(work, 'out');
      const err = await unpackArchive(path.join(work, h.file), into).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/^archive rejected: .+: /);
      expect(err?.message).toMatch(h.says);
      expect(err?.message.split('\n')).toHaveLength(1);
      expect(existsSync(into)).toBe(false);
      expect(tree(dir).filter((f) => !f.startsWith('a/b/out'))).toEqual(before);
      expect(existsSync('/tmp/evil.c')).toBe(false);
    });
  }
});

describe('sockgrade grade with a rejected archive', () => {
  it('says in one line, exit 2, why the archive was refused', async () => {
    const dir = tempDir();
    await craft(dir, `zip_entries('eve.zip', [('server.c', b'int main(void){return 0;}', 0o100644), ('../../evil.c', b'x', 0o100644)])`);
    const r = await runCli(['grade', 'calculator-server', path.join(dir, 'eve.zip')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^sockgrade: archive rejected: .*eve\.zip: entry '\.\.\/\.\.\/evil\.c' escapes the submission folder \(\.\.\)$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('an archive inside every cap that does not fit the scratch space', () => {
  // 998 files of 67,000 bytes (1,000 random, then zeros: about 60 times smaller zipped): 63.8 MiB unpacked (under the 64 MB cap), 66.3 MiB once each takes 17 pages of 4 KiB.
  const entries = `[(f'pad{i:03}.bin', __import__('os').urandom(1000) + bytes(66000), 0o100644) for i in range(998)]`;
  const budget = 32 << 20;

  for (const kind of ['zip', 'tar.gz'] as const) {
    it(`refuses a ${kind} as too large, from its listed sizes, writing nothing`, async () => {
      const dir = tempDir();
      const file = `pages.${kind}`;
      await craft(dir, kind === 'zip' ? `zip_entries('${file}', ${entries})` : `tar_entries('${file}', [(n, REG, d, '') for n, d, m in ${entries}])`);
      const into = path.join(dir, 'out');
      const err = await unpackArchive(path.join(dir, file), into, ARCHIVE_LIMITS, budget).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.name).toBe('SubmissionTooLargeError');
      expect(err?.message).toBe('submission larger than 32 MiB: its 998 entries (63.8 MiB unpacked) would take 66.3 MiB of scratch space (each file counted in whole 4 KiB pages)');
      expect(existsSync(into)).toBe(false);
      // Without a scratch budget, the same archive passes every archive cap.
      await unpackArchive(path.join(dir, file), into);
      expect(readdirSync(into)).toHaveLength(998);
    });
  }
});

describe('an archive that is not a regular file, or whose name is not UTF-8', () => {
  it('refuses a FIFO named .zip or .tar.gz without opening it for reading (no hang)', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [path.join(dir, 'a.zip'), path.join(dir, 'b.tar.gz')]);
    for (const f of ['a.zip', 'b.tar.gz']) {
      const err = await unpackArchive(path.join(dir, f), path.join(dir, 'out')).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(new RegExp(`${f.replace('.', '\\.')} is a named pipe \\(FIFO\\)`));
      expect(existsSync(path.join(dir, 'out'))).toBe(false);
    }
  });

  it('unpacks Jos\\xe9.zip, given by its bytes', async () => {
    const dir = tempDir();
    await craft(dir, `zip_entries('plain.zip', [('server.c', b'int main(void) { return 0; }\\n', 0o100644)])`);
    const file = Buffer.concat([Buffer.from(`${dir}/Jos`), Buffer.from([0xe9]), Buffer.from('.zip')]);
    renameSync(path.join(dir, 'plain.zip'), file);
    const into = path.join(dir, 'out');
    await unpackArchive(file, into);
    expect(tree(into)).toEqual(['server.c']);
  });
});
