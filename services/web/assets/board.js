// csops display board: renders a branch's counters, recent calls and waiting counts from the
// Server-Sent Events feed /board/<branch>/events (a snapshot first, then every change), and
// reconnects by itself. New calls are announced one at a time, each held for
// data-highlight seconds, so numbers never flash by at a busy office.
(() => {
  'use strict';
  const body = document.body;
  const branch = body.dataset.branch;
  const recentMax = Number(body.dataset.recent) || 8;
  const holdMs = (Number(body.dataset.highlight) || 8) * 1000;
  const el = (id) => document.getElementById(id);
  const state = { counters: new Map(), services: new Map(), recent: [], sequence: 0 };
  const announcements = [];
  let announcing = false;

  const counterLabel = (id) => {
    const c = state.counters.get(id);
    return c && c.name ? c.name : `${id}號櫃台`;
  };

  function node(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function renderCounters() {
    const list = el('counters');
    list.replaceChildren();
    for (const c of state.counters.values()) {
      const li = node('li', `counter state-${c.state}${c.fresh ? ' fresh' : ''}`);
      li.dataset.counter = c.id;
      li.append(node('span', 'counter-name', c.name || c.id));
      const number = node('span', 'counter-number', c.current || (c.state === 'open' ? '—' : ''));
      number.dataset.number = c.current || '';
      li.append(number);
      const status = c.state === 'open' ? (c.current ? (c.serving ? '服務中 Serving' : '請至櫃台 Please come')
                                                      : '可受理 Available')
                   : c.state === 'paused' ? '暫停 Paused' : '未開放 Closed';
      li.append(node('span', 'counter-state', status));
      list.append(li);
    }
  }

  function renderRecent() {
    const list = el('recent');
    list.replaceChildren();
    for (const r of state.recent) {
      const li = node('li', 'recent-call');
      li.dataset.number = r.number;
      li.append(node('span', 'recent-number', r.number));
      li.append(node('span', 'recent-arrow', '→'));
      li.append(node('span', 'recent-counter', counterLabel(r.counter)));
      list.append(li);
    }
  }

  function renderWaiting() {
    const list = el('waiting');
    list.replaceChildren();
    for (const s of state.services.values()) {
      const li = node('li', 'service');
      li.dataset.service = s.code;
      const name = node('span', 'service-name', `${s.code} ${s.name_zh_tw}`);
      const en = node('span', 'service-en', s.name_en);
      en.lang = 'en';
      li.append(name, en, node('span', 'service-waiting', String(s.waiting)));
      list.append(li);
    }
  }

  function render() { renderCounters(); renderRecent(); renderWaiting(); }

  function say(call) {
    el('say-zh').textContent = `請 ${call.number} 號 到 ${counterLabel(call.counter)}`;
    el('say-en').textContent = `Number ${call.number}, please go to counter ${call.counter}`;
    const box = el('announce');
    box.classList.remove('flash');
    void box.offsetWidth;  // restart the highlight animation
    box.classList.add('flash');
    if ('speechSynthesis' in window && window.SpeechSynthesisUtterance) {
      try {
        const u = new SpeechSynthesisUtterance(el('say-zh').textContent);
        u.lang = 'zh-TW';
        window.speechSynthesis.speak(u);
      } catch (e) { /* no voice on this screen: the text is enough */ }
    }
  }

  function nextAnnouncement() {
    const call = announcements.shift();
    if (!call) { announcing = false; return; }
    announcing = true;
    const c = state.counters.get(call.counter);
    if (c) { c.fresh = true; renderCounters(); }
    say(call);
    setTimeout(() => {
      if (c) { c.fresh = false; renderCounters(); }
      nextAnnouncement();
    }, holdMs);
  }

  function counterFrom(s) {
    const st = (s.state || '').replace('COUNTER_STATE_', '').toLowerCase();
    return {
      id: s.counter_id, name: s.name, state: st, current: s.current_ticket || '',
      serving: s.current_ticket_state === 'TICKET_STATE_SERVING', fresh: false,
    };
  }

  function applySnapshot(snap) {
    state.counters.clear();
    for (const c of snap.counters || []) state.counters.set(c.counter_id, counterFrom(c));
    state.services.clear();
    for (const s of snap.services || []) state.services.set(s.code, s);
    state.recent = (snap.recent_calls || []).slice(0, recentMax)
      .map((r) => ({ number: r.ticket_number, counter: r.counter_id }));
    render();
  }

  function setWaiting(code, waiting) {
    const s = state.services.get(code);
    if (s && waiting !== undefined) s.waiting = waiting;
  }

  function clearCounterOf(number) {
    for (const c of state.counters.values()) if (c.current === number) { c.current = ''; c.serving = false; }
  }

  function handle(ev) {
    state.sequence = Number(ev.sequence);
    body.dataset.sequence = String(state.sequence);
    const kind = ev.kind.replace('BOARD_EVENT_KIND_', '');
    switch (kind) {
      case 'SNAPSHOT':
        applySnapshot(ev.snapshot);
        break;
      case 'CALLED':
      case 'RECALLED': {
        clearCounterOf(ev.ticket_number);
        const c = state.counters.get(ev.counter_id);
        if (c) { c.current = ev.ticket_number; c.serving = false; }
        state.recent = state.recent.filter((r) => r.number !== ev.ticket_number);
        state.recent.unshift({ number: ev.ticket_number, counter: ev.counter_id });
        state.recent.length = Math.min(state.recent.length, recentMax);
        setWaiting(ev.service_code, ev.waiting);
        render();
        announcements.push({ number: ev.ticket_number, counter: ev.counter_id });
        if (!announcing) nextAnnouncement();
        break;
      }
      case 'SERVING': {
        const c = state.counters.get(ev.counter_id);
        if (c && c.current === ev.ticket_number) c.serving = true;
        render();
        break;
      }
      case 'COMPLETED':
      case 'NO_SHOW':
      case 'CANCELLED':
      case 'TRANSFERRED':
        clearCounterOf(ev.ticket_number);
        setWaiting(ev.service_code, ev.waiting);
        render();
        break;
      case 'COUNTER_CHANGED':
        if (ev.counter) state.counters.set(ev.counter.counter_id, counterFrom(ev.counter));
        render();
        break;
      case 'DAY_RESET':
        state.recent = [];
        for (const c of state.counters.values()) { c.current = ''; c.serving = false; }
        for (const s of state.services.values()) s.waiting = 0;
        render();
        break;
      default:  // ISSUED, REQUEUED
        setWaiting(ev.service_code, ev.waiting);
        renderWaiting();
    }
  }

  function setLink(up) {
    const link = el('link');
    link.className = up ? 'link up' : 'link down';
    link.textContent = up ? '' : '連線中斷，重新連線中… Reconnecting…';
    body.dataset.connected = up ? 'yes' : 'no';
  }

  let source = null;
  function connect() {
    source = new EventSource(`/board/${encodeURIComponent(branch)}/events`);
    source.onopen = () => setLink(true);
    source.addEventListener('board', (m) => handle(JSON.parse(m.data)));
    source.addEventListener('ended', () => { source.close(); setLink(false); setTimeout(connect, 2000); });
    source.onerror = () => {
      setLink(false);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }

  // The branch's local time (data-time-zone), whatever zone the TV itself is set to.
  const clock = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  try {
    clock.timeZone = body.dataset.timeZone || 'Asia/Taipei';
    new Intl.DateTimeFormat('zh-TW', clock);
  } catch (e) { clock.timeZone = 'Asia/Taipei'; }  // a zone this browser does not know

  function tick() {
    el('clock').textContent = new Date().toLocaleTimeString('zh-TW', clock);
  }
  tick();
  setInterval(tick, 10000);
  connect();
})();
