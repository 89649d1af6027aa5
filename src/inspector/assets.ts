/**
 * The inspector's page, style and script, served as they are: no build step, no CDN, no external font.
 * The script builds every node with textContent (never innerHTML), so nothing from a message can run, and shows
 * bidi and control characters escaped (`vis`), so none can reorder or hide what is shown.
 */

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>fruxon-twilio inspector</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>fruxon-twilio inspector</h1>
  <span id="config"></span>
  <span id="live" class="pill" role="status">connecting…</span>
</header>
<div id="route" class="route"></div>
<nav aria-label="Views">
  <a href="#/events" id="nav-events">Events</a>
  <a href="#/conversations" id="nav-conversations">Conversations</a>
  <a href="#/refused" id="nav-refused">Refused</a>
</nav>
<div class="layout">
  <section id="list" aria-label="List"></section>
  <main id="main" tabindex="-1" aria-live="polite"></main>
</div>
</body>
</html>
`;

export const APP_CSS = `
:root { --bg:#fff; --fg:#1d2330; --muted:#5d6778; --line:#d9dde5; --card:#f5f7fa; --sel:#e3ecff; --sms:#1d5fd1; --wa:#128c4a; --bad:#b3261e; --warn:#8a5a00; --ok:#1b7a3a; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#14171c; --fg:#e6e9ef; --muted:#9aa4b5; --line:#2c323c; --card:#1c2028; --sel:#243352; --sms:#7aa7ff; --wa:#4cd38a; --bad:#ff8a80; --warn:#ffcc66; --ok:#7ee2a0; }
}
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; flex-wrap:wrap; gap:.75rem; align-items:baseline; padding:.6rem 1rem; border-bottom:1px solid var(--line); }
h1 { font-size:1rem; margin:0; }
h2 { font-size:1rem; margin:.2rem 0 .6rem; }
h3 { font-size:.9rem; margin:1rem 0 .3rem; color:var(--muted); }
.route { padding:.3rem 1rem; color:var(--muted); font-size:.85rem; border-bottom:1px solid var(--line); overflow-wrap:anywhere; }
.route ul.missed { margin:.2rem 0 0; padding-left:0; list-style:none; } .route ul.missed li { color:var(--warn); }
nav { display:flex; gap:.25rem; padding:.4rem 1rem; border-bottom:1px solid var(--line); }
nav a { padding:.25rem .6rem; border-radius:6px; color:var(--fg); text-decoration:none; }
nav a[aria-current="page"] { background:var(--sel); font-weight:600; }
a:focus-visible, button:focus-visible, textarea:focus-visible { outline:2px solid var(--sms); outline-offset:1px; }
.layout { display:grid; grid-template-columns:minmax(18rem, 28rem) 1fr; min-height:calc(100vh - 8rem); }
@media (max-width: 760px) { .layout { grid-template-columns:1fr; } #list { max-height:45vh; border-right:0; border-bottom:1px solid var(--line); } }
#list { border-right:1px solid var(--line); overflow:auto; }
#main { padding:.8rem 1rem; overflow:auto; min-width:0; }
.row { display:grid; grid-template-columns:auto 1fr auto; gap:.15rem .5rem; padding:.45rem .8rem; border-bottom:1px solid var(--line); color:inherit; text-decoration:none; }
.row:hover, .row[aria-current="true"] { background:var(--sel); }
.row .who { font-weight:600; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.row .time { color:var(--muted); font-size:.8rem; }
.row .text { grid-column:2 / 4; color:var(--muted); overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.ch { font-size:.7rem; font-weight:700; padding:.05rem .35rem; border-radius:4px; color:#fff; align-self:center; }
.ch.sms { background:var(--sms); } .ch.whatsapp { background:var(--wa); }
@media (prefers-color-scheme: dark) { .ch { color:#0b0d10; } }
.tag { font-size:.75rem; padding:0 .3rem; border-radius:4px; border:1px solid currentColor; margin-left:.3rem; }
.bad { color:var(--bad); } .warn { color:var(--warn); } .ok { color:var(--ok); } .muted { color:var(--muted); }
.pill { font-size:.8rem; padding:.05rem .5rem; border-radius:999px; border:1px solid var(--line); }
pre { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:.6rem; overflow:auto; max-height:28rem; font:12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
table { border-collapse:collapse; width:100%; font-size:.85rem; }
td, th { text-align:left; vertical-align:top; padding:.2rem .4rem; border-bottom:1px solid var(--line); overflow-wrap:anywhere; }
th { color:var(--muted); font-weight:500; width:11rem; }
button { font:inherit; padding:.3rem .7rem; border-radius:6px; border:1px solid var(--line); background:var(--card); color:var(--fg); cursor:pointer; }
button:hover { border-color:var(--sms); }
.actions { display:flex; flex-wrap:wrap; gap:.4rem; margin:.5rem 0; }
.result { margin:.3rem 0; font-size:.9rem; }
.thread { display:flex; flex-direction:column; gap:.4rem; }
.bubble { max-width:80%; padding:.4rem .6rem; border-radius:10px; background:var(--card); border:1px solid var(--line); overflow-wrap:anywhere; }
.bubble.out { align-self:flex-end; background:var(--sel); }
.bubble .meta { font-size:.75rem; color:var(--muted); }
.thumb { display:block; max-width:12rem; max-height:8rem; border-radius:6px; margin-top:.3rem; }
form.reply { display:flex; gap:.4rem; margin-top:.8rem; }
form.reply textarea { flex:1; min-height:2.6rem; font:inherit; padding:.35rem; border-radius:6px; border:1px solid var(--line); background:var(--bg); color:var(--fg); }
.empty { padding:1rem; color:var(--muted); }
`;

export const APP_JS = String.raw`'use strict';
(function () {
  var S = { events: [], byId: {}, outbound: {}, missed: [], state: null, view: 'events', arg: null, detail: null };
  var $ = function (id) { return document.getElementById(id); };

  // What a page would obey instead of showing: bidi overrides, embeddings and isolates (U+202A-202E,
  // U+2066-2069) reorder the text around them, so 'evil\u202eexe.txt' reads as 'eviltxt.exe'; and control
  // characters (C0 but newline, DEL, C1). Shown escaped as the terminal shows them, in \uXXXX form (so the
  // trigger payload stays valid JSON on the page), wherever outside text is put on the page.
  var UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
  function vis(s) {
    return String(s).replace(UNSAFE, function (ch) { return '\\u' + ('000' + ch.charCodeAt(0).toString(16)).slice(-4); });
  }
  function setText(el, s) { el.textContent = vis(s); }

  // Every node is built here; text goes in with textContent only, through vis.
  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) for (var k in props) {
      var v = props[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') setText(el, v);
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, k === 'href' || k === 'src' ? v : vis(v));
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(vis(c)) : c);
    }
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function time(iso) { var d = new Date(iso); return isNaN(d) ? String(iso) : d.toLocaleTimeString(); }
  function chan(c) { return h('span', { class: 'ch ' + (c === 'whatsapp' ? 'whatsapp' : 'sms'), title: c === 'whatsapp' ? 'WhatsApp' : 'SMS' }, c === 'whatsapp' ? 'WA' : 'SMS'); }
  // Oldest first; at the same instant the incoming message before the answer.
  function byOrder(a, b) { return a.order < b.order ? -1 : a.order > b.order ? 1 : a.dir === b.dir ? 0 : a.dir === 'in' ? -1 : 1; }
  function convKey(channel, number) { return (channel === 'whatsapp' ? 'whatsapp' : 'sms') + '/' + encodeURIComponent(number || ''); }

  // The token the printed URL carried, handed over in the fragment of the redirect that set the cookie: kept
  // in this origin's sessionStorage (never in a cookie, which every port on 127.0.0.1 would get) and sent with
  // every API call and the stream.
  var TOKEN = (function () {
    var m = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (m) {
      try { sessionStorage.setItem('fruxon_inspector_token', m[1]); } catch (e) { /* still held for this page */ }
      history.replaceState(null, '', '/');
      return m[1];
    }
    try { return sessionStorage.getItem('fruxon_inspector_token') || ''; } catch (e) { return ''; }
  })();

  function api(path, body) {
    var init = body === undefined ? { credentials: 'same-origin', headers: { 'x-fruxon-inspector-token': TOKEN } } : {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-fruxon-inspector': '1', 'x-fruxon-inspector-token': TOKEN }, body: JSON.stringify(body)
    };
    return fetch(path, init).then(function (r) {
      return r.json().catch(function () { return { error: r.status === 403 ? 'this page has no token: open the inspector through the URL listen printed' : 'HTTP ' + r.status }; }).then(function (j) {
        if (!r.ok) { var e = new Error(j.error || ('HTTP ' + r.status)); e.hint = j.hint; throw e; }
        return j;
      });
    });
  }

  function addEvent(e, live) {
    if (e.duplicate) {
      var seen = S.byId[e.id];
      if (seen) { seen.dup = (seen.dup || 0) + 1; render(); }
      return;
    }
    if (S.byId[e.id]) return;
    S.byId[e.id] = e;
    S.events.unshift(e);
    S.events.sort(function (a, b) { return b.id - a.id; });
    if (live) render();
  }

  function conversations() {
    var map = {};
    function get(channel, number) {
      var k = convKey(channel, number);
      return map[k] || (map[k] = { key: k, channel: channel, number: number, name: null, items: [], last: '' });
    }
    S.events.forEach(function (e) {
      if (e.status !== 'accepted' || !e.from) return;
      var c = get(e.channel, e.from);
      c.items.push({ dir: 'in', at: e.received_at, order: e.received_at, e: e });
      if (!c.name && e.name) c.name = e.name;
      if (e.received_at > c.last) c.last = e.received_at;
    });
    Object.keys(S.outbound).forEach(function (sid) {
      var m = S.outbound[sid];
      if (!m.to) return;
      var c = get(m.channel, m.to);
      // An agent's reply sorts after the message it answers: Twilio dates it to the second, the listener to the ms.
      var order = m.at;
      if (m.reply_to != null) {
        var answered = S.events.find(function (e) { return e.id === m.reply_to; });
        if (answered && answered.received_at > order) order = answered.received_at;
      }
      c.items.push({ dir: 'out', at: m.at, order: order, m: m });
      if (m.at > c.last) c.last = m.at;
    });
    return Object.keys(map).map(function (k) { return map[k]; }).sort(function (a, b) { return a.last < b.last ? 1 : -1; });
  }

  function row(href, current, ch, who, when, text, tags) {
    return h('a', { class: 'row', href: href, 'aria-current': current ? 'true' : null }, chan(ch), h('span', { class: 'who' }, who), h('span', { class: 'time' }, when), h('span', { class: 'text' }, text, tags));
  }

  function eventTags(e) {
    var t = h('span', null);
    if (e.status === 'refused') t.appendChild(h('span', { class: 'tag bad' }, 'refused: ' + (e.reason || '?')));
    if (e.media && e.media.length) t.appendChild(h('span', { class: 'tag' }, e.media.length + ' media'));
    if (e.opt_out) t.appendChild(h('span', { class: 'tag warn' }, e.opt_out));
    if (e.dup) t.appendChild(h('span', { class: 'tag warn' }, 'duplicate ×' + e.dup));
    if (e.recovered) t.appendChild(h('span', { class: 'tag warn' }, 'recovered'));
    if (e.forward) t.appendChild(h('span', { class: 'tag ' + (e.forward.error ? 'bad' : 'ok') }, 'forward ' + (e.forward.status || e.forward.error)));
    return t;
  }

  function renderList() {
    var list = clear($('list'));
    if (S.view === 'conversations' || S.view === 'conversation') {
      var cs = conversations();
      if (!cs.length) list.appendChild(h('p', { class: 'empty' }, 'No conversations yet.'));
      cs.forEach(function (c) {
        var last = c.items.slice().sort(byOrder).pop();
        var text = last ? (last.dir === 'in' ? (last.e.text || '') : '↪ ' + (last.m.body || '') ) : '';
        list.appendChild(row('#/conversation/' + c.key, S.arg === c.key, c.channel, c.number + (c.name ? ' · ' + c.name : ''), time(c.last), text, h('span', { class: 'tag' }, c.items.length + ' msg')));
      });
      return;
    }
    var rows = S.view === 'refused' ? S.events.filter(function (e) { return e.status === 'refused'; }) : S.events;
    if (!rows.length) list.appendChild(h('p', { class: 'empty' }, S.view === 'refused' ? 'No refused requests.' : 'No events yet: text the number, or run fruxon-twilio simulate.'));
    rows.forEach(function (e) {
      var who = (e.from || '(no sender)') + (e.name ? ' · ' + e.name : '');
      var text = e.status === 'refused' ? (e.detail || e.reason || '') : (e.text || '');
      list.appendChild(row('#/event/' + e.id, S.view === 'event' && String(e.id) === S.arg, e.channel, '#' + e.id + ' ' + who, time(e.received_at), text, eventTags(e)));
    });
  }

  // Media the URL says is an image, over https (the CSP allows no other), as thumbnails linking to it.
  function thumbs(media) {
    var box = h('div', null);
    media.forEach(function (m) {
      if (/^image\//.test(m.content_type || '') && /^https:/.test(m.url)) box.appendChild(h('a', { href: m.url, target: '_blank', rel: 'noreferrer' }, h('img', { class: 'thumb', src: m.url, alt: 'media ' + (m.content_type || ''), loading: 'lazy' })));
    });
    return box;
  }

  function kv(rows) {
    var t = h('table');
    rows.forEach(function (r) { if (r) t.appendChild(h('tr', null, h('th', { scope: 'row' }, r[0]), h('td', null, r[1] === null || r[1] === undefined ? '—' : r[1]))); });
    return t;
  }
  function formTable(obj) { return kv(Object.keys(obj || {}).map(function (k) { var v = obj[k]; return [k, Array.isArray(v) ? v.join(', ') : String(v)]; })); }

  function resultLine() { return h('p', { class: 'result', role: 'status' }); }
  function showResult(el, ok, text) { el.className = 'result ' + (ok ? 'ok' : 'bad'); setText(el, text); }
  function showError(el, err) { showResult(el, false, 'error: ' + err.message + (err.hint ? ' (' + err.hint + ')' : '')); }

  function renderDetail(d) {
    var main = clear($('main'));
    var sig = d.signature_valid === null ? 'not checked (--skip-verify)' : d.signature_valid ? 'valid' : 'invalid';
    var fwd = d.forward ? (d.forward.url + ': ' + (d.forward.error ? d.forward.error : d.forward.status) + (d.forward.ms !== null && d.forward.ms !== undefined ? ' (' + Math.round(d.forward.ms) + ' ms)' : '')) : 'not forwarded';
    main.appendChild(h('h2', null, 'Event #' + d.id + ' ', chan(d.channel || 'sms'), d.status === 'refused' ? h('span', { class: 'tag bad' }, 'refused') : h('span', { class: 'tag ok' }, 'accepted')));
    main.appendChild(kv([
      ['Received', d.received_at], ['From', d.from], ['Message SID', d.message_sid], ['Text', d.text],
      d.status === 'refused' ? ['Refused because', (d.reason || '') + (d.detail ? ': ' + d.detail : '')] : null,
      ['Signature', sig + (d.signature && d.signature.checked_against ? ' (checked against ' + d.signature.checked_against + ')' : '')],
      ['Forward', fwd]
    ]));
    var res = resultLine();
    var acts = h('div', { class: 'actions' });
    var a = S.state.actions;
    function replay(body, label) {
      return h('button', { type: 'button', onclick: function () {
        showResult(res, true, label + '…');
        api('/api/events/' + d.id + '/replay', body).then(function (r) {
          var x = r.replay;
          showResult(res, x.ok, label + ': ' + x.status + (x.status_text ? ' ' + x.status_text : '') + ' from ' + x.url + (x.message_sid ? ' (' + x.message_sid + ')' : '') + (x.duplicate_expected ? '; the listener records it once (duplicate, no new trigger)' : '') + (x.detail && !x.ok ? ': ' + x.detail : ''));
        }, function (err) { showError(res, err); });
      } }, label);
    }
    // A refused request kept no form to replay (and fires no trigger): no Replay buttons for it.
    if (a.replay_listener && d.status !== 'refused') { acts.appendChild(replay({ target: 'listener', new_sid: false }, 'Replay to listener')); acts.appendChild(replay({ target: 'listener', new_sid: true }, 'Replay with new MessageSid')); }
    if (a.replay_forward && d.envelope) acts.appendChild(replay({ target: 'forward' }, 'Replay to ' + S.state.forward_to));
    if (d.status === 'accepted' && d.from) acts.appendChild(h('a', { href: '#/conversation/' + convKey(d.channel, d.from) }, 'Open conversation'));
    main.appendChild(acts);
    main.appendChild(res);
    if (d.envelope) {
      var json = JSON.stringify(d.envelope, null, 2);
      var copied = h('span', { class: 'muted', role: 'status' });
      main.appendChild(h('h3', null, 'Trigger payload (twilio.message.received) ', h('button', { type: 'button', onclick: function () {
        navigator.clipboard.writeText(json).then(function () { copied.textContent = ' copied'; }, function () { copied.textContent = ' copy failed'; });
      } }, 'Copy'), copied));
      main.appendChild(h('pre', { id: 'payload' }, json));
      main.appendChild(thumbs((d.envelope.payload && d.envelope.payload.media) || []));
    }
    // As the terminal's events show: a refused request's first 1 KiB, and the form only when there is one.
    if (d.status === 'refused') {
      main.appendChild(h('h3', null, 'Body (first 1 KiB; a refused request keeps no form)'));
      main.appendChild(d.body_excerpt ? h('pre', { id: 'body-excerpt' }, d.body_excerpt) : h('p', { class: 'muted' }, '(none)'));
    }
    if (d.status !== 'refused' || Object.keys(d.raw_form || {}).length) {
      main.appendChild(h('h3', null, 'Raw form'));
      main.appendChild(formTable(d.raw_form));
    }
    main.appendChild(h('h3', null, 'Headers'));
    main.appendChild(formTable(d.headers));
  }

  function renderConversation(key) {
    var main = clear($('main'));
    var c = conversations().filter(function (x) { return x.key === key; })[0];
    var parts = key.split('/');
    var channel = parts[0], number = decodeURIComponent(parts[1] || '');
    main.appendChild(h('h2', null, chan(channel), ' ' + number + (c && c.name ? ' · ' + c.name : '')));
    var thread = h('div', { class: 'thread', id: 'thread' });
    var items = c ? c.items.slice().sort(byOrder) : [];
    if (!items.length) thread.appendChild(h('p', { class: 'empty' }, 'No messages yet.'));
    items.forEach(function (it) {
      if (it.dir === 'in') {
        thread.appendChild(h('div', { class: 'bubble in' }, h('div', null, it.e.text || ''), thumbs(it.e.media || []), it.e.media && it.e.media.length ? h('div', { class: 'meta' }, it.e.media.length + ' media') : null,
          h('div', { class: 'meta' }, h('a', { href: '#/event/' + it.e.id }, '#' + it.e.id), ' ' + time(it.at))));
      } else {
        var m = it.m;
        thread.appendChild(h('div', { class: 'bubble out', 'data-sid': m.sid }, h('div', null, m.body === null ? '(sent elsewhere)' : m.body),
          h('div', { class: 'meta' }, time(it.at) + ' · ', m.by === 'api' ? h('span', { class: 'tag', title: 'sent by the agent through the Messages API' }, 'agent (API)') : null, m.by === 'api' ? ' · ' : null, h('span', { class: 'status ' + (/^(delivered|read)$/.test(m.status) ? 'ok' : /^(failed|undelivered)$/.test(m.status) ? 'bad' : ''), 'data-status': m.status }, m.status + (m.error_code ? ' (error ' + m.error_code + ')' : ''))),
          m.fix ? h('div', { class: 'meta fix' }, 'fix: ' + m.fix) : null));
      }
    });
    main.appendChild(thread);
    if (S.state.actions.reply) {
      var res = resultLine();
      var ta = h('textarea', { name: 'body', 'aria-label': 'Reply text', placeholder: 'Reply from ' + S.state.config.number + ' on ' + (channel === 'whatsapp' ? 'WhatsApp' : 'SMS') + ' (Ctrl+Enter sends)' });
      var form = h('form', { class: 'reply', onsubmit: function (ev) {
        ev.preventDefault();
        api('/api/reply', { to: number, channel: channel, body: ta.value }).then(function (r) {
          ta.value = '';
          S.outbound[r.message.sid] = r.message;
          render();
        }, function (err) { showError(res, err); });
      } }, ta, h('button', { type: 'submit' }, 'Send'));
      ta.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); } });
      main.appendChild(form);
      main.appendChild(res);
    } else {
      main.appendChild(h('p', { class: 'muted' }, 'Replies need a running fruxon-twilio listen.'));
    }
  }

  var draft = null;
  function render() {
    if (!S.state) return;
    ['events', 'conversations', 'refused'].forEach(function (v) {
      var on = S.view === v || (v === 'events' && S.view === 'event') || (v === 'conversations' && S.view === 'conversation');
      $('nav-' + v).setAttribute('aria-current', on ? 'page' : 'false');
    });
    renderList();
    if (S.view === 'conversation') {
      var ta = document.querySelector('form.reply textarea');
      var keep = ta ? { v: ta.value, focus: document.activeElement === ta } : draft;
      renderConversation(S.arg);
      var nta = document.querySelector('form.reply textarea');
      if (nta && keep) { nta.value = keep.v; if (keep.focus) nta.focus(); }
    } else if (S.view === 'event') {
      if (!S.detail || String(S.detail.id) !== S.arg) loadDetail(S.arg);
    } else {
      var main = clear($('main'));
      main.appendChild(h('p', { class: 'muted' }, S.view === 'refused' ? 'Requests the listener refused, with the reason. Pick one for its form and headers.' : 'Pick an event for its trigger payload, raw form, headers and signature verdict. j/k move through the list.'));
    }
  }

  function loadDetail(id) {
    S.detail = { id: Number(id) };
    api('/api/events/' + id).then(function (d) { S.detail = d; if (S.view === 'event' && S.arg === String(d.id)) renderDetail(d); },
      function (err) { var m = clear($('main')); m.appendChild(h('p', { class: 'bad' }, err.message)); });
  }

  function route() {
    var p = (location.hash || '#/events').slice(2).split('/');
    S.view = p[0] || 'events';
    S.arg = p.length > 1 ? p.slice(1).join('/') : null;
    if (S.view === 'event' && S.detail && String(S.detail.id) !== S.arg) S.detail = null;
    render();
  }

  // The route panel: where inbound messages go, then each message Twilio logged that never reached the listener.
  function addMissed(w) {
    if (S.missed.some(function (x) { return x.message_sid === w.message_sid; })) return;
    S.missed.push(w);
    if (S.missed.length > 50) S.missed.shift();
  }
  function renderRoute() {
    var st = S.state; if (!st) return;
    var r = st.route, el = clear($('route'));
    el.appendChild(h('div', { class: 'route-line' }, r ? 'Inbound messages → ' + r.webhookUrl + ' (' + (r.registered ? 'webhook registered on the number' : 'webhook NOT registered: point the number at it yourself') + ', tunnel ' + r.tunnel + ')' +
      (st.status_callback_url ? '; status callbacks: send --status-callback ' + st.status_callback_url : '') : 'No listener runs: inbound messages are not received here.'));
    var a = S.alerts;
    if (a) {
      var line = a.error ? 'Webhook alerts not read: ' + a.error
        : !a.count ? 'No webhook alerts in the last 24 h.'
        : '⚠ ' + a.count + ' webhook alert' + (a.count > 1 ? 's' : '') + ' in the last 24 h; the latest' + (a.latest.date_created ? ' at ' + time(a.latest.date_created) : '') + ': ' + a.latest.text + (a.latest.fix ? '; fix: ' + a.latest.fix : '');
      el.appendChild(h('div', { class: 'route-line alerts' + (a.count ? ' warn' : ''), id: 'webhook-alerts' }, line));
    }
    if (r && r.conversations && r.conversations.length) {
      var cl = h('ul', { class: 'missed', 'aria-label': 'Conversations' });
      r.conversations.forEach(function (t) { cl.appendChild(h('li', null, t)); });
      el.appendChild(cl);
    }
    if (!S.missed.length) return;
    var ul = h('ul', { class: 'missed', 'aria-label': 'Missed messages' });
    S.missed.forEach(function (w) {
      ul.appendChild(h('li', { class: 'warn' }, '⚠ Twilio logged an inbound message ' + w.message_sid + ' to ' + w.to + ' at ' + time(w.date_sent) +
        ' that never reached this listener; took it: ' + w.took + '; run fruxon-twilio webhook show'));
    });
    el.appendChild(ul);
  }

  function connect() {
    var es = new EventSource('/api/stream?token=' + encodeURIComponent(TOKEN));
    es.onopen = function () { $('live').textContent = 'live'; $('live').className = 'pill ok'; };
    es.onerror = function () { $('live').textContent = 'reconnecting…'; $('live').className = 'pill warn'; };
    es.addEventListener('event', function (m) { addEvent(JSON.parse(m.data), true); });
    es.addEventListener('trigger', function (m) {
      var t = JSON.parse(m.data), env = t.envelope, p = env.payload;
      addEvent({ id: env.event_id, received_at: env.received_at, status: 'accepted', reason: null, detail: null, channel: p.channel, from: p.from, name: p.from_name,
        text: p.text, media: p.media, opt_out: t.opt_out, message_sid: p.message_sid, duplicate: t.duplicate, recovered: t.recovered, forward: null }, true);
    });
    es.addEventListener('outbound', function (m) { var o = JSON.parse(m.data); S.outbound[o.sid] = o; render(); });
    es.addEventListener('missed', function (m) { addMissed(JSON.parse(m.data)); renderRoute(); });
    es.addEventListener('forward', function (m) {
      var f = JSON.parse(m.data); var e = S.byId[f.id];
      if (e) { e.forward = f; if (S.detail && S.detail.id === f.id) S.detail = null; render(); }
    });
    return es;
  }

  document.addEventListener('keydown', function (ev) {
    if (ev.target && /^(TEXTAREA|INPUT)$/.test(ev.target.tagName)) return;
    if (ev.key !== 'j' && ev.key !== 'k') return;
    var rows = Array.prototype.slice.call(document.querySelectorAll('#list .row'));
    if (!rows.length) return;
    var i = rows.indexOf(document.activeElement);
    var next = rows[Math.max(0, Math.min(rows.length - 1, i < 0 ? 0 : i + (ev.key === 'j' ? 1 : -1)))];
    next.focus(); next.click();
  });

  window.addEventListener('hashchange', route);
  connect();
  api('/api/state').then(function (st) {
    S.state = st;
    setText($('config'), st.config.name + ' · ' + st.config.number + (st.mode === 'inspect' ? ' · event log (no listener)' : ''));
    (st.missed || []).forEach(addMissed);
    renderRoute();
    if (st.webhook_alerts) api('/api/alerts').then(function (a) { S.alerts = a; renderRoute(); }, function (err) { S.alerts = { error: err.message }; renderRoute(); });
    st.events.forEach(function (e) { addEvent(e, false); });
    st.outbound.forEach(function (m) { S.outbound[m.sid] = m; });
    route();
  }, function (err) { setText($('main'), err.message); });
})();
`;
