// Tandem agent and supervisor desktop.
//
// Speaks the CTI protocol's JSON encoding (client/src/proto.rs) over the node's
// /api/v1/cti WebSocket, and mirrors the Rust client library's failover (client/src/lib.rs):
// heartbeats per the login result, "Offline" on a socket break or unanswered heartbeats,
// reconnection with a growing pause (50 ms doubling to 1 s) using the resume token and the last
// event index, requests made meanwhile buffered, unanswered ones sent again with the same
// request id (the cluster applies each id once). Events at or below the last index are ignored.
'use strict';

(function () {
  const PROTOCOL_VERSION = 1;
  const CLIENT_NAME = 'tandem-desktop/1';
  const CONNECT_TIMEOUT_MS = 3000;
  const PAUSE_FIRST_MS = 50;
  const PAUSE_MAX_MS = 1000;
  const MESSAGES_SHOWN_MAX = 5;

  const STATE_NAMES = {
    logged_out: 'Logged Out',
    not_ready: 'Not Ready',
    ready: 'Ready',
    reserved: 'Reserved',
    talking: 'Talking',
    hold: 'Hold',
    work_ready: 'Work Ready',
    work_not_ready: 'Work Not Ready',
    busy_other: 'Busy Other',
    unknown: 'Unknown',
  };

  const $ = (id) => document.getElementById(id);

  function randomHex(bytes) {
    const values = new Uint8Array(bytes);
    crypto.getRandomValues(values);
    return Array.from(values, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function defaultUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return scheme + '//' + location.host + '/api/v1/cti';
  }

  // A node address from login_result.nodes: a ws(s) URL as is; an http(s) base URL becomes its
  // CTI endpoint; a bare host:port gets this page's scheme.
  function ctiUrl(address) {
    let url = String(address).trim();
    if (/^https?:/i.test(url)) url = url.replace(/^http/i, 'ws');
    if (!/^wss?:/i.test(url)) url = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + url;
    if (!/\/\/[^/]+\/./.test(url)) url = url.replace(/\/$/, '') + '/api/v1/cti';
    return url;
  }

  function now() {
    return Date.now();
  }

  function formatDuration(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
  }

  // ---- Session state ------------------------------------------------------------------------

  const session = {
    credentials: null,
    urls: [defaultUrl()],
    current: 0,
    resumeToken: null,
    lastIndex: 0,
    socket: null,
    online: false,
    stopped: true,
    login: null,
    nonce: randomHex(6),
    sequence: 0,
    // request_id -> {request, label}; a Map keeps the order the requests were made in.
    pending: new Map(),
    heard: 0,
    unanswered: 0,
    heartbeatTimer: null,
    loggingOut: false,
  };

  const desk = {
    own: 0,
    role: 'agent',
    agents: new Map(), // id -> {agent, status, since, offer}
    order: [],
    teamMessages: new Map(),
    reasonCodes: [],
    controls: null,
    stats: null,
  };

  function freshStats() {
    return { loginAt: now(), handled: 0, made: 0, notAnswered: 0, time: {} };
  }

  // ---- Connection ---------------------------------------------------------------------------

  function send(socket, body) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(body));
      return true;
    }
    return false;
  }

  // One connect-and-login attempt. Resolves once the session is established (the socket's
  // handlers are switched to the session's before any later frame can arrive); rejects with
  // {kind: 'refused' | 'unreachable', code, message}.
  function attempt(url) {
    return new Promise((resolve, reject) => {
      let socket;
      try {
        socket = new WebSocket(url);
      } catch (error) {
        reject({ kind: 'unreachable', message: url + ': ' + error });
        return;
      }
      let done = false;
      const finish = (outcome) => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        return outcome;
      };
      const timer = setTimeout(() => {
        if (finish(true)) {
          socket.close();
          reject({ kind: 'unreachable', message: url + ': no login result within ' + CONNECT_TIMEOUT_MS + ' ms' });
        }
      }, CONNECT_TIMEOUT_MS);
      const resuming = Boolean(session.resumeToken);
      socket.onopen = () => {
        send(socket, {
          login: {
            version: PROTOCOL_VERSION,
            login: session.credentials.login,
            password: resuming ? '' : session.credentials.password,
            resume_token: session.resumeToken || '',
            after: session.lastIndex,
            client: CLIENT_NAME,
          },
        });
      };
      socket.onmessage = (message) => {
        let frame;
        try {
          frame = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        if (frame.login_result) {
          if (finish(true)) {
            established(socket, url, frame.login_result);
            resolve();
          }
        } else if (frame.error) {
          if (finish(true)) {
            socket.close();
            if (resuming) {
              // The token is no longer good: the password next time.
              session.resumeToken = null;
              reject({ kind: 'unreachable', message: 'resume refused: ' + frame.error.message });
            } else {
              reject({ kind: 'refused', code: frame.error.code, message: frame.error.message });
            }
          }
        } else if (frame.heartbeat) {
          send(socket, { heartbeat_ack: {} });
        }
      };
      socket.onerror = () => {};
      socket.onclose = () => {
        if (finish(true)) reject({ kind: 'unreachable', message: url + ': closed during login' });
      };
    });
  }

  function established(socket, url, result) {
    session.socket = socket;
    session.online = true;
    session.login = result;
    session.resumeToken = result.resume_token;
    if (Array.isArray(result.nodes) && result.nodes.length > 0) {
      const urls = [url];
      for (const node of result.nodes) {
        const other = ctiUrl(node);
        if (!urls.includes(other)) urls.push(other);
      }
      session.urls = urls;
      session.current = 0;
    }
    desk.own = result.agent;
    desk.role = result.role;
    socket.onmessage = (message) => onFrame(socket, message);
    socket.onclose = () => lost(socket, 'the node closed the connection');
    socket.onerror = () => {};
    session.heard = performance.now();
    session.unanswered = 0;
    scheduleHeartbeat();
    for (const pending of session.pending.values()) {
      send(socket, { request: pending.request });
    }
    showOffline(false);
    showDesk(true);
    render();
  }

  function lost(socket, reason) {
    if (socket !== session.socket) return;
    session.socket = null;
    session.online = false;
    clearTimeout(session.heartbeatTimer);
    try {
      socket.onclose = null;
      socket.close();
    } catch (error) {
      // Already closed.
    }
    if (session.stopped) return;
    showOffline(true, reason);
    render();
    failOver();
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // Tries the next node, then alternates with a growing pause, until a login works or the
  // login is refused for good.
  async function failOver() {
    let pause = PAUSE_FIRST_MS;
    while (!session.stopped) {
      session.current = (session.current + 1) % session.urls.length;
      try {
        await attempt(session.urls[session.current]);
        return;
      } catch (error) {
        if (error.kind === 'refused') {
          stop(error.message);
          return;
        }
        $('offline-detail').textContent = 'reconnecting… (' + error.message + ')';
      }
      await sleep(pause);
      pause = Math.min(pause * 2, PAUSE_MAX_MS);
    }
  }

  // The heartbeat the login result asks for: after interval × (unanswered + 1) of silence,
  // a heartbeat; more than client_max_heartbeats unanswered and the node is gone.
  function scheduleHeartbeat() {
    clearTimeout(session.heartbeatTimer);
    const interval = session.login ? session.login.client_heartbeat_ms : 0;
    if (!interval || !session.socket) return;
    const deadline = session.heard + interval * (session.unanswered + 1);
    session.heartbeatTimer = setTimeout(heartbeatDue, Math.max(0, deadline - performance.now()));
  }

  function heartbeatDue() {
    const socket = session.socket;
    if (!socket) return;
    const interval = session.login.client_heartbeat_ms;
    const deadline = session.heard + interval * (session.unanswered + 1);
    if (performance.now() < deadline) {
      scheduleHeartbeat();
      return;
    }
    const max = session.login.client_max_heartbeats || 0;
    if (session.unanswered >= max) {
      lost(socket, 'no answer to ' + session.unanswered + ' heartbeats');
      return;
    }
    session.unanswered += 1;
    send(socket, { heartbeat: {} });
    scheduleHeartbeat();
  }

  function onFrame(socket, message) {
    if (socket !== session.socket) return;
    session.heard = performance.now();
    session.unanswered = 0;
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    if (frame.snapshot) {
      session.lastIndex = frame.snapshot.index;
      applyView(frame.snapshot.view || {});
      desk.controls = frame.snapshot.controls || null;
      render();
    } else if (frame.event) {
      const index = frame.event.index;
      if (index <= session.lastIndex) return;
      session.lastIndex = index;
      const mine = applyEvent(frame.event.event || {});
      if (frame.event.controls && typeof frame.event.controls === 'object') {
        desk.controls = frame.event.controls;
      } else if (mine) {
        desk.controls = null;
      }
      render();
    } else if (frame.reply) {
      onReply(frame.reply);
    } else if (frame.heartbeat) {
      send(socket, { heartbeat_ack: {} });
    } else if (frame.notice) {
      showMessage(frame.notice.message, true);
    } else if (frame.error) {
      if (frame.error.code === 'unauthorized') {
        stop(frame.error.message);
      } else {
        lost(socket, frame.error.code + ': ' + frame.error.message);
      }
    }
  }

  function stop(reason) {
    session.stopped = true;
    session.online = false;
    clearTimeout(session.heartbeatTimer);
    const socket = session.socket;
    session.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    session.pending.clear();
    session.resumeToken = null;
    session.lastIndex = 0;
    showOffline(false);
    showDesk(false);
    $('login-error').textContent = reason || '';
  }

  // ---- Requests -----------------------------------------------------------------------------

  function request(action, agent, label) {
    session.sequence += 1;
    const id = session.nonce + '-' + session.sequence;
    const body = { request_id: id, agent: agent || 0, action: action };
    session.pending.set(id, { request: body, label: label });
    if (session.online) send(session.socket, { request: body });
    return id;
  }

  function onReply(reply) {
    const pending = session.pending.get(reply.request_id);
    session.pending.delete(reply.request_id);
    if (!reply.ok) {
      const what = pending ? pending.label + ': ' : '';
      const code = reply.spec_code ? ' (' + reply.spec_code + ')' : '';
      showMessage(what + (reply.message || reply.code) + code, false);
      if (pending && pending.request.action.state === 'logout') session.loggingOut = false;
    } else {
      hideMessage();
    }
  }

  // ---- The view -----------------------------------------------------------------------------

  function applyView(view) {
    desk.agents.clear();
    desk.order = [];
    for (const entry of view.agents || []) {
      const status = entry.status || {};
      desk.agents.set(entry.agent.id, {
        agent: entry.agent,
        status: status,
        since: Math.min(status.state_since_ms || now(), now()),
        offer: null,
      });
      desk.order.push(entry.agent.id);
    }
    desk.teamMessages.clear();
    for (const message of view.team_messages || []) desk.teamMessages.set(message.id, message);
    desk.reasonCodes = (view.reason_codes || []).slice();
  }

  function addTime(stats, state, ms) {
    stats.time[state] = (stats.time[state] || 0) + ms;
  }

  // Applies one event; returns whether it concerns the session's own agent.
  function applyEvent(event) {
    const kind = Object.keys(event)[0];
    const body = event[kind];
    const entry = body && typeof body === 'object' && 'agent' in body ? desk.agents.get(body.agent) : undefined;
    const mine = Boolean(body && typeof body === 'object' && body.agent === desk.own && desk.own);
    switch (kind) {
      case 'AgentStateChanged':
        if (entry) {
          if (mine && desk.stats) addTime(desk.stats, entry.status.state, now() - entry.since);
          entry.status.state = body.state;
          entry.status.reason = body.reason;
          entry.since = now();
          if (body.state !== 'work_ready' && body.state !== 'work_not_ready') entry.status.wrap_up = null;
          if (body.state !== 'reserved') entry.offer = null;
          if (mine && body.state === 'logged_out' && session.loggingOut) {
            session.loggingOut = false;
            setTimeout(() => stop('Logged out.'), 0);
          }
        }
        break;
      case 'AfterCallStateChosen':
        if (entry) entry.status.pending = body.pending;
        break;
      case 'CallStarted':
        if (entry) {
          entry.status.call = { contact: body.contact, direction: body.direction, wrap_up_data: null };
          entry.offer = null;
          if (mine && body.direction === 'outgoing' && desk.stats) desk.stats.made += 1;
        }
        break;
      case 'CallEnded':
        if (entry) {
          const call = entry.status.call;
          if (call && call.direction === 'incoming') entry.status.wrap_up = call;
          entry.status.call = null;
          entry.status.pending = null;
          if (mine && desk.stats && call && call.direction === 'incoming') desk.stats.handled += 1;
        }
        break;
      case 'WrapUpDataSet':
        if (entry) {
          const call = entry.status.call || entry.status.wrap_up;
          if (call) call.wrap_up_data = body.data;
        }
        break;
      case 'ContactOffered':
        if (entry && body.channel === 'voice') entry.offer = { contact: body.contact, due: body.no_answer_due_ms };
        break;
      case 'ContactAccepted':
        if (entry) entry.offer = null;
        break;
      case 'ContactNotAnswered':
        if (entry) {
          entry.offer = null;
          if (mine && desk.stats) desk.stats.notAnswered += 1;
        }
        break;
      case 'AgentCreated':
      case 'AgentUpdated':
        if (desk.agents.has(body.id)) desk.agents.get(body.id).agent = body;
        break;
      case 'AgentDeleted':
        desk.agents.delete(body);
        desk.order = desk.order.filter((id) => id !== body);
        break;
      case 'TeamMessagePublished':
        desk.teamMessages.set(body.id, body);
        break;
      case 'TeamMessageDeleted':
      case 'TeamMessageExpired':
        desk.teamMessages.delete(body);
        break;
      case 'ReasonCodeCreated':
      case 'ReasonCodeUpdated':
        desk.reasonCodes = desk.reasonCodes.filter((code) => code.id !== body.id).concat([body]);
        break;
      case 'ReasonCodeDeleted':
        desk.reasonCodes = desk.reasonCodes.filter((code) => code.id !== body);
        break;
      default:
        break;
    }
    return mine;
  }

  function ownEntry() {
    return desk.agents.get(desk.own);
  }

  // Which buttons the agent's voice state allows (the spec's transition rules); the server's
  // `controls`, when a frame carried them, decide instead.
  function localControls(entry) {
    const state = entry ? entry.status.state : 'logged_out';
    const afterCall = state === 'work_ready' || state === 'work_not_ready';
    const onCall = state === 'talking' || state === 'hold';
    return {
      ready: state === 'not_ready' || afterCall,
      not_ready: state === 'ready' || afterCall,
      work_ready: onCall || state === 'work_not_ready',
      work_not_ready: onCall || state === 'work_ready',
      logout: state === 'not_ready',
      answer: state === 'reserved',
      hold: state === 'talking',
      retrieve: state === 'hold',
      release: onCall,
      make_call: state === 'not_ready',
      wrap_up: Boolean(entry && (entry.status.call || entry.status.wrap_up)),
      transfer_init: false,
      conference_init: false,
      single_step: false,
    };
  }

  function controlKey(name) {
    const key = String(name).trim().toLowerCase().replace(/[\s-]+/g, '_');
    const aliases = { end_call: 'release', answer_call: 'answer', hold_call: 'hold', retrieve_call: 'retrieve' };
    return aliases[key] || key;
  }

  function controls() {
    const local = localControls(ownEntry());
    if (desk.controls) {
      for (const [name, enabled] of Object.entries(desk.controls)) {
        local[controlKey(name)] = Boolean(enabled);
      }
    }
    return local;
  }

  const BUTTONS = {
    ready: 'btn-ready',
    not_ready: 'btn-not-ready',
    work_ready: 'btn-work-ready',
    work_not_ready: 'btn-work-not-ready',
    logout: 'btn-logout',
    answer: 'btn-answer',
    hold: 'btn-hold',
    retrieve: 'btn-retrieve',
    release: 'btn-release',
    make_call: 'btn-make-call',
    wrap_up: 'wrapup-set',
    transfer_init: 'btn-transfer-init',
    conference_init: 'btn-conference-init',
    single_step: 'btn-single-step',
  };

  function reasonLabel(kind, value) {
    if (value === null || value === undefined) return '–';
    const code = desk.reasonCodes.find((c) => c.kind === kind && c.value === value);
    return code ? code.label + ' (' + value + ')' : String(value);
  }

  function render() {
    const entry = ownEntry();
    const state = entry ? entry.status.state : 'logged_out';
    $('status-agent').textContent = desk.own ? String(desk.own) : '–';
    $('status-name').textContent = entry ? entry.agent.name : '–';
    const stateEl = $('status-state');
    stateEl.textContent = session.online ? STATE_NAMES[state] || state : 'Offline';
    stateEl.dataset.state = session.online ? state : 'offline';
    const reasonKind = state === 'logged_out' ? 'logout' : 'not_ready';
    $('status-reason').textContent = entry ? reasonLabel(reasonKind, entry.status.reason) : '–';
    $('status-node').textContent = session.login ? 'Node ' + session.login.node : '–';
    $('status-connection').textContent = session.online ? 'Online' : 'Offline';

    const enabled = controls();
    for (const [name, id] of Object.entries(BUTTONS)) {
      $(id).disabled = !enabled[name];
    }

    let info = 'No call';
    if (entry && entry.offer) info = 'Call ringing (contact ' + entry.offer.contact + ')';
    else if (entry && entry.status.call) {
      const call = entry.status.call;
      info = (call.direction === 'outgoing' ? 'Outgoing call' : 'Incoming call') +
        (call.contact ? ' (contact ' + call.contact + ')' : '') + (state === 'hold' ? ', on hold' : '') +
        (entry.status.pending ? '; after the call: ' + (STATE_NAMES[entry.status.pending.state] || '') : '');
    } else if (entry && entry.status.wrap_up) info = 'Wrap-up';
    $('call-info').textContent = info;
    const call = entry && (entry.status.call || entry.status.wrap_up);
    $('wrapup-current').textContent = call && call.wrap_up_data ? 'Wrap-up data: ' + call.wrap_up_data : '';

    renderTeamMessages();
    renderSupervisor();
    renderTimes();
  }

  function renderTeamMessages() {
    const banner = $('team-banner');
    banner.replaceChildren();
    const messages = Array.from(desk.teamMessages.values()).slice(-MESSAGES_SHOWN_MAX);
    for (const message of messages) {
      const line = document.createElement('p');
      line.className = 'team-message';
      line.dataset.id = message.id;
      line.textContent = (message.sender_name ? message.sender_name + ': ' : '') + message.text;
      banner.appendChild(line);
    }
    banner.hidden = messages.length === 0 || !session.login;
  }

  function renderSupervisor() {
    const section = $('supervisor-view');
    section.hidden = desk.role !== 'supervisor';
    if (section.hidden) return;
    const rows = $('team-rows');
    const ids = desk.order.filter((id) => id !== desk.own && desk.agents.has(id));
    // Rebuild only when the set of agents changed, so focus and clicks survive updates.
    if (rows.dataset.ids !== ids.join(',')) {
      rows.replaceChildren();
      for (const id of ids) {
        const row = document.createElement('tr');
        row.dataset.agent = id;
        for (const cls of ['id', 'name', 'state', 'reason', 'time']) {
          const cell = document.createElement('td');
          cell.className = 'cell-' + cls;
          row.appendChild(cell);
        }
        const actions = document.createElement('td');
        const buttons = document.createElement('div');
        buttons.className = 'buttons';
        for (const [action, label] of [['ready', 'Ready'], ['not_ready', 'Not Ready'], ['logout', 'Logout']]) {
          const button = document.createElement('button');
          button.type = 'button';
          button.textContent = label;
          button.dataset.action = action;
          button.addEventListener('click', () => setState(action, id));
          buttons.appendChild(button);
        }
        actions.appendChild(buttons);
        row.appendChild(actions);
        rows.appendChild(row);
      }
      rows.dataset.ids = ids.join(',');
    }
    for (const row of rows.children) {
      const entry = desk.agents.get(Number(row.dataset.agent));
      if (!entry) continue;
      const state = entry.status.state;
      row.querySelector('.cell-id').textContent = String(entry.agent.id);
      row.querySelector('.cell-name').textContent = entry.agent.name;
      row.querySelector('.cell-state').textContent = STATE_NAMES[state] || state;
      row.querySelector('.cell-reason').textContent =
        reasonLabel(state === 'logged_out' ? 'logout' : 'not_ready', entry.status.reason);
      const local = localControls(entry);
      for (const button of row.querySelectorAll('button')) {
        button.disabled = !local[button.dataset.action];
      }
    }
  }

  function renderTimes() {
    const entry = ownEntry();
    const t = now();
    if (entry) $('stat-time-in-state').textContent = formatDuration(t - entry.since);
    const stats = desk.stats;
    if (stats) {
      const spent = (state) => (stats.time[state] || 0) + (entry && entry.status.state === state ? t - entry.since : 0);
      $('stat-handled').textContent = String(stats.handled);
      $('stat-made').textContent = String(stats.made);
      $('stat-not-answered').textContent = String(stats.notAnswered);
      $('stat-logged-in').textContent = formatDuration(t - stats.loginAt);
      $('stat-ready').textContent = formatDuration(spent('ready'));
      $('stat-not-ready').textContent = formatDuration(spent('not_ready'));
      $('stat-talk').textContent = formatDuration(spent('talking'));
      $('stat-hold').textContent = formatDuration(spent('hold'));
      $('stat-work').textContent = formatDuration(spent('work_ready') + spent('work_not_ready'));
    }
    const rows = $('team-rows');
    for (const row of rows.children) {
      const other = desk.agents.get(Number(row.dataset.agent));
      if (other) row.querySelector('.cell-time').textContent = formatDuration(t - other.since);
    }
  }

  function showDesk(show) {
    $('desk-view').hidden = !show;
    $('login-view').hidden = show;
    if (!show) {
      $('team-banner').hidden = true;
      $('login-password').value = '';
      $('login-button').disabled = false;
    }
  }

  function showOffline(show, reason) {
    $('offline-banner').hidden = !show;
    if (show) $('offline-detail').textContent = 'reconnecting…' + (reason ? ' (' + reason + ')' : '');
  }

  function showMessage(text, info) {
    const el = $('message');
    el.textContent = text;
    el.classList.toggle('info', Boolean(info));
    el.hidden = false;
  }

  function hideMessage() {
    $('message').hidden = true;
  }

  // ---- Actions ------------------------------------------------------------------------------

  const LABELS = {
    ready: 'Ready',
    not_ready: 'Not Ready',
    logout: 'Logout',
    work_ready: 'Work Ready',
    work_not_ready: 'Work Not Ready',
  };

  function setState(state, agent) {
    const kind = state === 'logout' ? 'logout' : state === 'not_ready' ? 'not_ready' : null;
    const codes = kind ? desk.reasonCodes.filter((code) => code.kind === kind) : [];
    if (codes.length === 0) {
      sendState(state, null, agent);
      return;
    }
    openReasonDialog(kind, codes, (reason) => sendState(state, reason, agent));
  }

  function sendState(state, reason, agent) {
    const action = { action: 'set_state', state: state };
    if (reason !== null && reason !== undefined) action.reason = reason;
    if (state === 'logout' && !agent) session.loggingOut = true;
    request(action, agent, LABELS[state] || state);
  }

  let dialogDone = null;
  let dialogReturn = null;

  function openReasonDialog(kind, codes, done) {
    $('reason-title').textContent = kind === 'logout' ? 'Select Reason: Logout' : 'Select Reason: NotReady';
    const list = $('reason-list');
    list.replaceChildren();
    for (const code of codes.slice().sort((a, b) => a.value - b.value)) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = code.label;
      button.dataset.value = code.value;
      button.addEventListener('click', () => closeReasonDialog(code.value));
      list.appendChild(button);
    }
    dialogDone = done;
    dialogReturn = document.activeElement;
    $('reason-dialog').hidden = false;
    const first = list.querySelector('button');
    if (first) first.focus();
  }

  // `value`: a reason value, null for none, undefined to cancel.
  function closeReasonDialog(value) {
    $('reason-dialog').hidden = true;
    const done = dialogDone;
    dialogDone = null;
    if (dialogReturn && dialogReturn.focus) dialogReturn.focus();
    if (done && value !== undefined) done(value);
  }

  function click(name) {
    const button = $(BUTTONS[name]);
    if (button && !button.disabled) button.click();
  }

  function onKey(event) {
    if (!$('reason-dialog').hidden) {
      if (event.key === 'Escape') {
        event.preventDefault();
        closeReasonDialog(undefined);
      }
      return;
    }
    if (!event.altKey || event.ctrlKey || event.metaKey || $('desk-view').hidden) return;
    const key = event.key.toLowerCase();
    const actions = {
      r: () => click('ready'),
      n: () => click('not_ready'),
      l: () => click('logout'),
      a: () => click('answer'),
      h: () => ($(BUTTONS.hold).disabled ? click('retrieve') : click('hold')),
      e: () => click('release'),
      m: () => click('make_call'),
      w: () => $('wrapup-data').focus(),
    };
    if (actions[key]) {
      event.preventDefault();
      actions[key]();
    }
  }

  function onLogin(event) {
    event.preventDefault();
    const login = $('login-name').value.trim();
    const password = $('login-password').value;
    if (!login) return;
    $('login-error').textContent = '';
    $('login-button').disabled = true;
    session.credentials = { login: login, password: password };
    session.stopped = false;
    session.resumeToken = null;
    session.lastIndex = 0;
    session.pending.clear();
    session.urls = [defaultUrl()];
    session.current = 0;
    desk.stats = freshStats();
    desk.controls = null;
    firstLogin();
  }

  // The first login tries each known node once; a refusal is final.
  async function firstLogin() {
    let last = '';
    for (let i = 0; i < session.urls.length; i += 1) {
      session.current = i;
      try {
        await attempt(session.urls[i]);
        return;
      } catch (error) {
        if (error.kind === 'refused') {
          stop(error.message);
          return;
        }
        last = error.message;
      }
    }
    stop('No node reachable: ' + last);
  }

  function init() {
    $('login-form').addEventListener('submit', onLogin);
    $('btn-ready').addEventListener('click', () => setState('ready'));
    $('btn-not-ready').addEventListener('click', () => setState('not_ready'));
    $('btn-work-ready').addEventListener('click', () => setState('work_ready'));
    $('btn-work-not-ready').addEventListener('click', () => setState('work_not_ready'));
    $('btn-logout').addEventListener('click', () => setState('logout'));
    $('btn-answer').addEventListener('click', () => request({ action: 'answer_call' }, 0, 'Answer'));
    $('btn-hold').addEventListener('click', () => request({ action: 'hold_call' }, 0, 'Hold'));
    $('btn-retrieve').addEventListener('click', () => request({ action: 'retrieve_call' }, 0, 'Retrieve'));
    $('btn-release').addEventListener('click', () => request({ action: 'end_call' }, 0, 'Release'));
    $('btn-make-call').addEventListener('click', () => request({ action: 'make_call' }, 0, 'Make Call'));
    for (const id of ['btn-transfer-init', 'btn-conference-init', 'btn-single-step']) {
      $(id).addEventListener('click', () => showMessage('This desktop cannot transfer or conference yet.', true));
    }
    $('wrapup-form').addEventListener('submit', (event) => {
      event.preventDefault();
      request({ action: 'set_wrap_up_data', data: $('wrapup-data').value }, 0, 'Set wrap-up data');
    });
    $('reason-none').addEventListener('click', () => closeReasonDialog(null));
    $('reason-cancel').addEventListener('click', () => closeReasonDialog(undefined));
    document.addEventListener('keydown', onKey);
    setInterval(renderTimes, 1000);
    // For tests and debugging: a read-only look at the session.
    window.tandemDesktop = {
      lastIndex: () => session.lastIndex,
      online: () => session.online,
      pending: () => session.pending.size,
      node: () => (session.login ? session.login.node : 0),
    };
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
