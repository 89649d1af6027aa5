/**
 * Structural checks of JUnit XML against the schema CI systems share (Jenkins' junit-10.xsd, which GitLab,
 * GitHub test reporters and Azure DevOps read), without a network or an XML library: a strict little parser for
 * the subset JUnit files use (prolog, elements, attributes, text, the five entities and numeric references),
 * then the schema's rules: which elements go where, required and known attributes, numeric types, and the
 * counts on <testsuites>/<testsuite> agreeing with their testcases.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    const line = xml.slice(0, i).split('\n').length;
    throw new Error(`XML line ${line}: ${msg}`);
  };
  const decode = (s: string) =>
    s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);|&/g, (_m, ent: string | undefined) => {
      if (!ent) return fail('a bare & (must be &amp;)');
      if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
      if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
      return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[ent]!;
    });
  const skipSpace = () => {
    while (/\s/.test(xml[i] ?? '')) i++;
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    if (!/^<\?xml version="1\.0"( encoding="UTF-8")?\?>$/.test(xml.slice(0, end + 2)))
      fail('unexpected XML declaration');
    i = end + 2;
  }
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected an element');
    i++;
    const name = /^[A-Za-z_][\w.-]*/.exec(xml.slice(i))?.[0] ?? fail('bad element name');
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const m = /^([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(xml.slice(i)) ?? fail(`bad attribute in <${name}>`);
      if (m[1]! in attrs) fail(`attribute ${m[1]} twice in <${name}>`);
      attrs[m[1]!] = decode(m[2]!);
      i += m[0].length;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (i >= xml.length) fail(`<${name}> is not closed`);
      if (xml.startsWith('</', i)) {
        const close = `</${name}>`;
        if (!xml.startsWith(close, i)) fail(`expected ${close}`);
        i += close.length;
        return { name, attrs, children, text: decode(text) };
      }
      if (xml.startsWith('<!--', i)) {
        const end = xml.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
        continue;
      }
      if (xml[i] === '<') {
        children.push(element());
        continue;
      }
      const next = xml.indexOf('<', i);
      const chunk = xml.slice(i, next < 0 ? xml.length : next);
      if (chunk.includes('>') && /]]>/.test(chunk)) fail(']]> in text');
      text += chunk;
      i += chunk.length;
    }
  };
  skipSpace();
  const root = element();
  skipSpace();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

const INT = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

const SUITES_ATTRS = ['name', 'time', 'tests', 'failures', 'disabled', 'errors'];
const SUITE_ATTRS = [
  'name',
  'tests',
  'failures',
  'errors',
  'time',
  'disabled',
  'skipped',
  'timestamp',
  'hostname',
  'id',
  'package',
  'file',
  'log',
  'url',
  'version',
  'group',
];
const CASE_ATTRS = ['name', 'assertions', 'time', 'classname', 'status'];
const CASE_CHILDREN = ['skipped', 'error', 'failure', 'system-out', 'system-err'];

/** Throws with the rule that is broken; returns the parsed document. */
export function validateJunit(xml: string): XmlElement {
  const root = parseXml(xml);
  const problem = (msg: string): never => {
    throw new Error(`JUnit schema: ${msg}`);
  };
  const known = (el: XmlElement, allowed: string[]) => {
    for (const a of Object.keys(el.attrs))
      if (!allowed.includes(a)) problem(`<${el.name}> has attribute ${a}, which the schema does not allow`);
  };
  const typed = (el: XmlElement, attr: string, re: RegExp, required = false) => {
    const v = el.attrs[attr];
    if (v === undefined) {
      if (required) problem(`<${el.name}> needs attribute ${attr}`);
      return;
    }
    if (!re.test(v)) problem(`<${el.name} ${attr}="${v}"> is not of the schema's type`);
  };
  if (root.name !== 'testsuites') problem(`the root is <${root.name}>, expected <testsuites>`);
  known(root, SUITES_ATTRS);
  for (const a of ['tests', 'failures', 'errors', 'disabled']) typed(root, a, INT);
  typed(root, 'time', DECIMAL);
  if (root.text.trim()) problem('<testsuites> has text');
  let total = 0;
  let totalFailures = 0;
  let totalErrors = 0;
  for (const suite of root.children) {
    if (suite.name !== 'testsuite') problem(`<testsuites> contains <${suite.name}>`);
    known(suite, SUITE_ATTRS);
    if (!suite.attrs.name) problem('<testsuite> needs a non-empty name');
    typed(suite, 'tests', INT, true);
    for (const a of ['failures', 'errors', 'skipped', 'disabled']) typed(suite, a, INT);
    typed(suite, 'time', DECIMAL);
    typed(suite, 'timestamp', TIMESTAMP);
    if (suite.text.trim()) problem('<testsuite> has text');
    // sequence: properties?, testcase*, system-out?, system-err?
    const order = ['properties', 'testcase', 'system-out', 'system-err'];
    let at = 0;
    let cases = 0;
    let failures = 0;
    let errors = 0;
    let skipped = 0;
    for (const child of suite.children) {
      const pos = order.indexOf(child.name);
      if (pos < 0) problem(`<testsuite> contains <${child.name}>`);
      if (pos < at) problem(`<${child.name}> out of order in <testsuite>`);
      if (child.name !== 'testcase' && suite.children.filter((c) => c.name === child.name).length > 1)
        problem(`<testsuite> has more than one <${child.name}>`);
      at = pos;
      if (child.name !== 'testcase') continue;
      cases++;
      known(child, CASE_ATTRS);
      if (!child.attrs.name) problem('<testcase> needs a non-empty name');
      typed(child, 'time', DECIMAL);
      typed(child, 'assertions', INT);
      if (child.text.trim()) problem('<testcase> has text outside its children');
      for (const c of child.children) {
        if (!CASE_CHILDREN.includes(c.name)) problem(`<testcase> contains <${c.name}>`);
        if (c.children.length) problem(`<${c.name}> contains elements`);
        if (c.name === 'failure' || c.name === 'error') known(c, ['message', 'type']);
        if (c.name === 'skipped') known(c, ['message']);
        if (c.name.startsWith('system-')) known(c, []);
      }
      if (child.children.some((c) => c.name === 'failure')) failures++;
      if (child.children.some((c) => c.name === 'error')) errors++;
      if (child.children.some((c) => c.name === 'skipped')) skipped++;
    }
    if (Number(suite.attrs.tests) !== cases)
      problem(`<testsuite name="${suite.attrs.name}"> says tests="${suite.attrs.tests}" but has ${cases} testcases`);
    if (suite.attrs.failures !== undefined && Number(suite.attrs.failures) !== failures)
      problem(`<testsuite> failures="${suite.attrs.failures}" but ${failures} testcases failed`);
    if (suite.attrs.errors !== undefined && Number(suite.attrs.errors) !== errors)
      problem(`<testsuite> errors="${suite.attrs.errors}" but ${errors} testcases have errors`);
    if (suite.attrs.skipped !== undefined && Number(suite.attrs.skipped) !== skipped)
      problem(`<testsuite> skipped="${suite.attrs.skipped}" but ${skipped} testcases were skipped`);
    total += cases;
    totalFailures += failures;
    totalErrors += errors;
  }
  if (root.attrs.tests !== undefined && Number(root.attrs.tests) !== total)
    problem(`<testsuites> tests="${root.attrs.tests}" but has ${total} testcases`);
  if (root.attrs.failures !== undefined && Number(root.attrs.failures) !== totalFailures)
    problem(`<testsuites> failures="${root.attrs.failures}" but ${totalFailures} failed`);
  if (root.attrs.errors !== undefined && Number(root.attrs.errors) !== totalErrors)
    problem(`<testsuites> errors="${root.attrs.errors}" but ${totalErrors} have errors`);
  return root;
}

/** Every element called `name`, depth first. */
export function all(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}
