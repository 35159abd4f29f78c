// Renders INGInious feedback the way INGInious does: docutils, with the
// settings of its ParsableText.rst (raw HTML enabled, file insertion off,
// headers from level 3), warnings turned into failures. docutils must be
// installed (python3-docutils; .ci/install-system-deps.sh installs it): a
// missing docutils fails the tests that need it, never skips them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inginiousCalls } from '../grader/report/inginious.js';
import type { Report } from '../grader/report/model.js';

const RENDER = `
import json, sys
from docutils import core, nodes
src = sys.stdin.read()
settings = {
    'initial_header_level': 3, 'doctitle_xform': False, 'syntax_highlight': 'none',
    'raw_enabled': True, 'file_insertion_enabled': False, 'line_length_limit': max(len(src), 10000),
    'report_level': 2, 'halt_level': 2,
}
doctree = core.publish_doctree(src, settings_overrides=settings)
find = getattr(doctree, 'findall', None) or doctree.traverse  # findall: docutils 0.18 and later
parts = core.publish_parts(src, writer_name='html', settings_overrides=settings)
print(json.dumps({
    'html': parts['body_pre_docinfo'] + parts['fragment'],
    'raw': len(list(find(nodes.raw))),
    'literal_blocks': [n.astext() for n in find(nodes.literal_block)],
}))
`;

// The Python the install script gives docutils to (and the sandbox runs scripts with).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface Rendered {
  html: string;
  /** How many raw (HTML passed through) nodes the document has. */
  raw: number;
  /** The text of each literal block, as docutils read it. */
  literal_blocks: string[];
}

/** docutils' reading of some reStructuredText; throws with docutils' message on a warning or error. */
export function renderRst(rst: string): Rendered {
  const r = spawnSync(PYTHON, ['-c', RENDER], { input: rst, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${PYTHON}: ${r.error.message}`);
  if (/No module named '?docutils/.test(r.stderr)) {
    throw new Error('docutils is missing: install python3-docutils (bash .ci/install-system-deps.sh does)');
  }
  if (r.status !== 0) throw new Error(`docutils rejected the feedback: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout) as Rendered;
}

/** The feedback text INGInious builds from the calls: the messages, concatenated. */
export function feedbackText(r: Report): string {
  return inginiousCalls(r)
    .filter((c) => c[0] === 'feedback-msg')
    .map((c) => c.find((a) => a.startsWith('--message='))!.slice('--message='.length))
    .join('');
}
