// A real headless Chromium for page tests, driven over the DevTools protocol
// on a pipe (--remote-debugging-pipe: fd 3 carries commands in, fd 4 replies
// and events out, each a JSON message ended by a NUL byte). No browser
// library is needed for the few things a test does: open a file, click,
// press a key, read the DOM, take a screenshot. Every wait is for an event or
// a reply, under a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { deadline, withDeadline } from '../runner/wait.js';
import { tempDir } from './helpers.js';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars', '--remote-debugging-pipe'];
const REPLY_MS = 30_000;

interface Message { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: { message: string }; sessionId?: string }

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners: ((m: Message) => void)[] = [];
  private exited: Error | null = null;

  private constructor(private readonly child: ChildProcess, private readonly input: Writable, output: Readable) {
    let buffered = '';
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\0')) >= 0) {
        const message = JSON.parse(buffered.slice(0, end)) as Message;
        buffered = buffered.slice(end + 1);
        this.dispatch(message);
      }
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`chromium exited (${signal ?? code})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  static launch(executable: string): Chromium {
    const child = spawn(executable, [...FLAGS, `--user-data-dir=${tempDir('sockgrade-chromium-')}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    return new Chromium(child, child.stdio[3] as Writable, child.stdio[4] as Readable);
  }

  private dispatch(m: Message): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(`${p.method}: ${m.error.message}`));
      else p?.resolve(m.result ?? {});
      return;
    }
    for (const l of [...this.listeners]) l(m);
  }

  async send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.exited) throw this.exited;
    const id = this.nextId++;
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => this.pending.set(id, { resolve, reject, method }));
    this.input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    const r = await withDeadline(reply, deadline(REPLY_MS));
    if (!r) throw new Error(`chromium did not answer ${method} within ${REPLY_MS} ms`);
    return r;
  }

  /** The next event `method` of `sessionId`; listen before triggering it. */
  event(method: string, sessionId: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      const l = (m: Message) => {
        if (m.method === method && m.sessionId === sessionId) {
          this.listeners.splice(this.listeners.indexOf(l), 1);
          resolve(m.params ?? {});
        }
      };
      this.listeners.push(l);
    });
  }

  /** A new tab, `width` × `height` CSS pixels. */
  async newPage(width: number, height: number): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new Page(this, sessionId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await page.send('Log.enable');
    await page.resize(width, height);
    return page;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    await this.send('Browser.close').catch(() => undefined);
    if (!(await withDeadline(gone, deadline(10_000)))) this.child.kill('SIGKILL');
  }
}

export class Page {
  /** Messages the page printed to its console and errors it threw (a broken script shows here). */
  readonly problems: string[] = [];

  constructor(private readonly browser: Chromium, private readonly sessionId: string) {
    // Uncaught exceptions, console messages, and the browser's own log (where a content security policy violation shows).
    const watch = (method: string) =>
      void browser.event(method, sessionId).then((p) => {
        const level = (p as { entry?: { level?: string } }).entry?.level;
        if (level === undefined || level === 'error' || level === 'warning') this.problems.push(`${method}: ${JSON.stringify(p).slice(0, 500)}`);
        watch(method);
      });
    for (const method of ['Runtime.exceptionThrown', 'Runtime.consoleAPICalled', 'Log.entryAdded']) watch(method);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.browser.send(method, params, this.sessionId);
  }

  async resize(width: number, height: number): Promise<void> {
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  }

  /** Opens `url` and returns once its load event has fired. */
  async open(url: string): Promise<void> {
    const loaded = this.browser.event('Page.loadEventFired', this.sessionId);
    const r = (await this.send('Page.navigate', { url })) as { errorText?: string };
    if (r.errorText) throw new Error(`cannot open ${url}: ${r.errorText}`);
    if (!(await withDeadline(loaded, deadline(REPLY_MS)))) throw new Error(`${url} did not finish loading within ${REPLY_MS} ms`);
  }

  /** The value of a JavaScript expression evaluated in the page (JSON values only). */
  async eval<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true })) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  }

  /** A real mouse click (press and release) at the centre of the first element matching `selector`, scrolled into view. */
  async click(selector: string): Promise<void> {
    const box = await this.eval<{ x: number; y: number } | null>(`(() => {
      const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) return null;
      e.scrollIntoView({ block: 'center', inline: 'center' });
      const r = e.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`nothing on the page matches ${selector}`);
    for (const type of ['mousePressed', 'mouseReleased']) await this.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
  }

  /** Presses a key (e.g. ArrowDown) in the focused element. */
  async press(key: string, code: string, keyCode: number): Promise<void> {
    await this.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', key, code, windowsVirtualKeyCode: keyCode });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', key, code, windowsVirtualKeyCode: keyCode });
  }

  /** A PNG of the page: the viewport, or the whole page when `full`. */
  async screenshot(full = false): Promise<Buffer> {
    const size = full ? await this.eval<{ width: number; height: number }>('({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })') : null;
    const clip = size ? { clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 } } : {};
    const { data } = (await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: full, ...clip })) as { data: string };
    return Buffer.from(data, 'base64');
  }
}
