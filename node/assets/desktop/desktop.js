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
  const CHAT_SHOWN_MAX = 50;
  const email = { list: [], open: null, view: null, refreshing: false, savedText: '', forwarding: false };

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
    agents: new Map(), // id -> {agent, status, since, offer, wrapUpData}
    order: [],
    calls: new Map(), // call id -> the switch's Call ({id, kind, connections, data, ...})
    answered: new Set(), // inbound calls the own agent talked on, not yet counted as handled
    teamMessages: new Map(),
    reasonCodes: [],
    teams: [],
    chat: [], // agent↔supervisor chat messages, oldest first
    serverStats: null, // agent id -> {stats: the cluster's AgentStatisticsSnapshot, at: when received}
    monitoring: null, // the agent this supervisor silently monitors
    monitored: false, // a supervisor monitors this agent (only when the settings warn)
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
    // Sent again only while the cluster remembers the first send (the client library's
    // REQUEST_RETRY_AGE_MAX_MS, half the cluster's window): an older one could apply twice.
    const now = performance.now();
    for (const [id, pending] of [...session.pending]) {
      if (now - pending.made >= RETRY_AGE_MAX_MS) {
        session.pending.delete(id);
        showMessage(pending.label + ': no answer within ' + RETRY_AGE_MAX_MS / 1000 +
          ' s across failovers; it may or may not have applied.', false);
        continue;
      }
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
    } else if (frame.statistics) {
      // A frame carries some of the session's agents (those whose call ended) or all of them.
      if (!desk.serverStats) desk.serverStats = new Map();
      for (const agent of frame.statistics.agents || []) desk.serverStats.set(agent.agent, { stats: agent, at: now() });
      renderTimes();
    } else if (frame.skill_group_statistics) {
      renderQueues(frame.skill_group_statistics.csqs || []);
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

  const RETRY_AGE_MAX_MS = 5 * 60 * 1000;

  function request(action, agent, label) {
    session.sequence += 1;
    const id = session.nonce + '-' + session.sequence;
    const body = { request_id: id, agent: agent || 0, action: action };
    session.pending.set(id, { request: body, label: label, made: performance.now() });
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
    desk.calls.clear();
    for (const entry of view.agents || []) {
      const status = entry.status || {};
      const record = status.call || status.wrap_up;
      desk.agents.set(entry.agent.id, {
        agent: entry.agent,
        status: status,
        since: Math.min(status.state_since_ms || now(), now()),
        offer: null,
        wrapUpData: record ? record.wrap_up_data : null,
      });
      desk.order.push(entry.agent.id);
      for (const call of entry.calls || []) desk.calls.set(call.id, call);
    }
    for (const id of Array.from(desk.answered)) {
      if (!desk.calls.has(id)) desk.answered.delete(id);
    }
    desk.controls = view.controls || null;
    desk.teams = (view.teams || []).slice();
    desk.chat = (view.chat_messages || []).slice(-CHAT_SHOWN_MAX);
    desk.monitoring = view.monitoring || null;
    desk.monitored = Boolean(view.monitored);
    desk.teamMessages.clear();
    for (const message of view.team_messages || []) desk.teamMessages.set(message.id, message);
    desk.reasonCodes = (view.reason_codes || []).slice();
  }

  function addTime(stats, state, ms) {
    stats.time[state] = (stats.time[state] || 0) + ms;
  }

  function partyAgent(party) {
    return party && typeof party === 'object' && 'agent' in party ? party.agent : null;
  }

  function setConnection(call, party, state) {
    const connection = call.connections.find((c) => JSON.stringify(c.party) === JSON.stringify(party));
    if (connection) connection.state = state;
    else call.connections.push({ party: party, state: state });
  }

  // The own agent left `id` (or the call ended): an inbound call it talked on counts as handled.
  function ownLeft(id) {
    if (desk.answered.delete(id) && desk.stats) desk.stats.handled += 1;
  }

  // Applies one call event of the switch to the calls the desk knows.
  function applyCallEvent(kind, body) {
    const call = desk.calls.get(body.call);
    switch (kind) {
      case 'BeginCall': {
        desk.calls.set(body.call.id, body.call);
        const first = body.call.connections[0];
        const dialer = first ? partyAgent(first.party) : null;
        if (dialer === desk.own && desk.stats && (body.call.kind === 'outbound' || body.call.kind === 'internal')) {
          desk.stats.made += 1;
        }
        break;
      }
      case 'CallDelivered':
      case 'CallEstablished':
        if (call) {
          setConnection(call, body.party, kind === 'CallDelivered' ? 'alerting' : 'talking');
          if (kind === 'CallEstablished' && partyAgent(body.party) === desk.own && call.kind === 'inbound') {
            desk.answered.add(call.id);
          }
        }
        break;
      case 'CallHeld':
      case 'CallRetrieved':
        if (call) setConnection(call, { agent: body.agent }, kind === 'CallHeld' ? 'held' : 'talking');
        break;
      case 'CallTransferred':
      case 'CallConferenced':
        if (body.secondary !== null && body.secondary !== undefined) {
          if (desk.answered.has(body.secondary)) ownLeft(body.secondary);
          desk.calls.delete(body.secondary);
        }
        if (call) call.connections = body.connections;
        if (kind === 'CallTransferred' && body.by === desk.own) ownLeft(body.call);
        if (call && !call.connections.some((c) => partyAgent(c.party) === desk.own)) ownLeft(body.call);
        break;
      case 'CallConnectionCleared':
        if (call) call.connections = call.connections.filter((c) => JSON.stringify(c.party) !== JSON.stringify(body.party));
        if (partyAgent(body.party) === desk.own) ownLeft(body.call);
        break;
      case 'CallCleared':
      case 'EndCall':
        ownLeft(body.call);
        desk.calls.delete(body.call);
        break;
      case 'CallDataUpdate':
        if (call) call.data = body.data;
        if (call && call.connections.some((c) => partyAgent(c.party) === desk.own)) {
          const entry = ownEntry();
          if (entry && body.data.wrap_up !== undefined) entry.wrapUpData = body.data.wrap_up;
        }
        break;
      default:
        break;
    }
    // An agent's desk forgets a call its agent left (its events stop coming); a supervisor's
    // keeps following its team's calls until they end.
    const left = desk.calls.get(typeof body.call === 'object' ? body.call.id : body.call);
    if (left && desk.role !== 'supervisor' && !left.connections.some((c) => partyAgent(c.party) === desk.own)) {
      desk.calls.delete(left.id);
    }
    return Array.isArray(body.agents) && body.agents.includes(desk.own);
  }

  const CALL_EVENTS = new Set(['BeginCall', 'CallDelivered', 'CallEstablished', 'CallHeld', 'CallRetrieved',
    'CallTransferred', 'CallConferenced', 'CallConnectionCleared', 'CallCleared', 'EndCall', 'CallDataUpdate',
    'DtmfSent', 'SupervisorCallPlaced']);

  // Applies one event; returns whether it concerns the session's own agent.
  function applyEvent(event) {
    const kind = Object.keys(event)[0];
    const body = event[kind];
    if (CALL_EVENTS.has(kind) && body && typeof body === 'object') return applyCallEvent(kind, body);
    const entry = body && typeof body === 'object' && 'agent' in body ? desk.agents.get(body.agent) : undefined;
    const mine = Boolean(body && typeof body === 'object' && body.agent === desk.own && desk.own);
    switch (kind) {
      case 'AgentStateChanged':
        if (entry) {
          if (mine && desk.stats) addTime(desk.stats, entry.status.state, now() - entry.since);
          entry.status.state = body.state;
          entry.status.reason = body.reason;
          entry.since = now();
          if (!['work_ready', 'work_not_ready', 'talking', 'hold', 'reserved'].includes(body.state)) {
            entry.status.wrap_up = null;
            entry.wrapUpData = null;
          }
          if (!['talking', 'hold', 'reserved'].includes(body.state)) entry.status.pending = null;
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
      case 'WrapUpDataSet':
        if (entry) entry.wrapUpData = body.data;
        break;
      case 'ContactOffered':
        if (entry && body.channel === 'voice') entry.offer = { contact: body.contact, due: body.no_answer_due_ms };
        break;
      case 'ContactAccepted':
        if (entry) entry.offer = null;
        if (mine && body.channel === 'email') setTimeout(emailRefresh, 0);
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
      case 'SilentMonitorStarted':
        if (body.supervisor === desk.own) desk.monitoring = body.agent;
        if (body.agent === desk.own) desk.monitored = true;
        break;
      case 'SilentMonitorEnded':
        if (body.supervisor === desk.own) desk.monitoring = null;
        if (body.agent === desk.own) desk.monitored = false;
        break;
      case 'AgentChatMessageSent':
        desk.chat.push(body.message);
        if (desk.chat.length > CHAT_SHOWN_MAX) desk.chat.shift();
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
      case 'EmailOutboxChanged':
        // A reply the mail server refused for good: the agent who wrote it is told why.
        if (body.agent === desk.own && desk.own && body.state && body.state.state === 'failed') {
          showMessage('Your reply "' + body.subject + '" to ' + (body.to || []).join(', ') +
            ' could not be sent: ' + body.state.reason, false);
        }
        break;
      default:
        if (kind.startsWith('Contact') || kind.startsWith('Email')) setTimeout(emailRefresh, 0);
        break;
    }
    return mine;
  }

  function ownEntry() {
    return desk.agents.get(desk.own);
  }

  // The own agent's calls by its connection's state: the one it talks on, holds, or is rung on.
  function ownCall(state, agent) {
    const who = agent || desk.own;
    for (const call of desk.calls.values()) {
      const connection = call.connections.find((c) => partyAgent(c.party) === who);
      if (connection && connection.state === state) return call;
    }
    return null;
  }

  // Which state buttons the agent's voice state allows (the spec's transition rules). Call
  // control is the server's alone: `controls` comes with the snapshot and with every event
  // about the agent, computed by the same checks the requests run; until it has come, every
  // call-control button stays off.
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
      wrap_up: onCall || afterCall,
    };
  }

  const CALL_CONTROLS = ['answer', 'release', 'hold', 'retrieve', 'make_call', 'transfer_init', 'transfer_complete',
    'conference_init', 'conference_complete', 'single_step_transfer', 'alternate', 'reconnect', 'supervisor_call'];

  function controls() {
    const enabled = localControls(ownEntry());
    for (const name of CALL_CONTROLS) enabled[name] = Boolean(desk.controls && desk.controls[name]);
    return enabled;
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
    transfer_complete: 'btn-transfer-complete',
    conference_init: 'btn-conference-init',
    conference_complete: 'btn-conference-complete',
    single_step_transfer: 'btn-single-step',
    alternate: 'btn-alternate',
    reconnect: 'btn-reconnect',
    emergency: 'btn-emergency',
    assist: 'btn-assist',
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
    stateEl.textContent = !session.online ? 'Offline' : desk.role === 'administrator' ? 'Administrator' : STATE_NAMES[state] || state;
    stateEl.dataset.state = session.online ? state : 'offline';
    const reasonKind = state === 'logged_out' ? 'logout' : 'not_ready';
    $('status-reason').textContent = entry ? reasonLabel(reasonKind, entry.status.reason) : '–';
    $('status-node').textContent = session.login ? 'Node ' + session.login.node : '–';
    $('status-connection').textContent = session.online ? 'Online' : 'Offline';

    const enabled = controls();
    enabled.emergency = enabled.supervisor_call;
    enabled.assist = enabled.supervisor_call;
    for (const [name, id] of Object.entries(BUTTONS)) {
      $(id).disabled = !enabled[name];
    }

    const mine = Array.from(desk.calls.values()).filter((call) =>
      call.connections.some((c) => partyAgent(c.party) === desk.own));
    let info = 'No call';
    if (mine.length > 0) {
      info = mine.length === 1 ? '1 call' : mine.length + ' calls';
      if (entry && entry.status.pending) info += '; after the call: ' + (STATE_NAMES[entry.status.pending.state] || '');
    } else if (state === 'work_ready' || state === 'work_not_ready') info = 'Wrap-up';
    $('call-info').textContent = info;
    renderCalls(mine);
    $('wrapup-current').textContent = entry && entry.wrapUpData ? 'Wrap-up data: ' + entry.wrapUpData : '';
    renderCallData();

    renderTeamMessages();
    renderChat();
    $('monitored-banner').hidden = !desk.monitored || !session.online;
    renderSupervisor();
    renderAdmin();
    renderTimes();
  }

  function partyName(party) {
    const agent = partyAgent(party);
    if (agent !== null) {
      const other = desk.agents.get(agent);
      return agent === desk.own ? 'you' : 'agent ' + (other ? other.agent.name : agent);
    }
    return party && party.external ? party.external : 'withheld';
  }

  function callKindName(kind) {
    if (kind && typeof kind === 'object' && kind.consult) return kind.consult.purpose + ' consult of call ' + kind.consult.of;
    return String(kind);
  }

  function renderCalls(calls) {
    const list = $('call-list');
    list.replaceChildren();
    for (const call of calls) {
      const own = call.connections.find((c) => partyAgent(c.party) === desk.own);
      const others = call.connections.filter((c) => c !== own).map((c) => partyName(c.party) + ' (' + c.state + ')');
      const item = document.createElement('li');
      item.dataset.call = call.id;
      item.dataset.mine = own ? own.state : '';
      const from = call.data && call.data.ani ? ', from ' + call.data.ani : '';
      item.textContent = 'Call ' + call.id + ' (' + callKindName(call.kind) + from + '): you ' + (own ? own.state : '–') +
        (others.length ? '; with ' + others.join(', ') : '');
      list.appendChild(item);
    }
  }

  function agentName(id) {
    const entry = desk.agents.get(id);
    return entry ? entry.agent.name + ' (' + id + ')' : 'agent ' + id;
  }

  // Whom this desktop offers to write to: a supervisor its team's agents, an agent its team's
  // supervisors, and anyone who wrote. The server decides by the chat levels in force.
  function chatPartners() {
    const ids = new Set();
    if (desk.role === 'supervisor') for (const id of desk.order) ids.add(id);
    for (const team of desk.teams) {
      if (team.primary_supervisor) ids.add(team.primary_supervisor);
      for (const id of team.secondary_supervisors || []) ids.add(id);
    }
    for (const message of desk.chat) {
      ids.add(message.from);
      ids.add(message.to);
    }
    ids.delete(desk.own);
    return Array.from(ids).sort((a, b) => a - b);
  }

  function renderChat() {
    const list = $('chat-list');
    if (list.dataset.count !== String(desk.chat.length) || list.dataset.last !== String(desk.chat.length && desk.chat[desk.chat.length - 1].sent_ms)) {
      list.replaceChildren();
      for (const message of desk.chat) {
        const item = document.createElement('li');
        const mine = message.from === desk.own;
        item.dataset.from = mine ? 'me' : String(message.from);
        item.textContent = (mine ? 'To ' + agentName(message.to) : agentName(message.from)) + ': ' + message.text;
        list.appendChild(item);
      }
      list.dataset.count = String(desk.chat.length);
      list.dataset.last = String(desk.chat.length && desk.chat[desk.chat.length - 1].sent_ms);
      list.scrollTop = list.scrollHeight;
    }
    const select = $('chat-to');
    const partners = chatPartners();
    if (select.dataset.ids !== partners.join(',')) {
      const chosen = select.value;
      select.replaceChildren();
      for (const id of partners) {
        const option = document.createElement('option');
        option.value = String(id);
        option.textContent = agentName(id);
        select.appendChild(option);
      }
      if (partners.map(String).includes(chosen)) select.value = chosen;
      select.dataset.ids = partners.join(',');
    }
    $('chat-send').disabled = partners.length === 0 || !session.online;
  }

  // The skill-group (CSQ) statistics the cluster pushes every polling interval.
  function renderQueues(csqs) {
    const rows = $('queue-rows');
    rows.replaceChildren();
    for (const csq of csqs) {
      const row = document.createElement('tr');
      row.dataset.csq = csq.csq;
      const oldest = csq.oldest_waiting_ms === null || csq.oldest_waiting_ms === undefined
        ? '–' : formatDuration(csq.oldest_waiting_ms);
      for (const value of [String(csq.csq), String(csq.waiting_count), oldest, String(csq.agents_ready_count),
        String(csq.agents_talking_count)]) {
        const cell = document.createElement('td');
        cell.textContent = value;
        row.appendChild(cell);
      }
      rows.appendChild(row);
    }
  }

  // The call the data panel shows: the one the agent talks on, else the held one, else ringing.
  function dataCall() {
    return ownCall('talking') || ownCall('held') || ownCall('alerting');
  }

  function renderCallData() {
    const call = dataCall();
    const rows = $('call-data-rows');
    rows.replaceChildren();
    const add = (name, value) => {
      const row = document.createElement('tr');
      const head = document.createElement('th');
      head.scope = 'row';
      head.textContent = name;
      const cell = document.createElement('td');
      cell.textContent = value;
      row.append(head, cell);
      rows.appendChild(row);
    };
    const data = call ? call.data || {} : null;
    if (data) {
      add('Call', String(call.id));
      add('ANI', data.ani || '–');
      add('DNIS', data.dnis || '–');
      if (data.ced) add('CED', data.ced);
      for (const [number, value] of Object.entries(data.variables || {})) add('Variable ' + number, value);
      for (const [name, value] of Object.entries(data.ecc || {})) add(name, value);
    }
    $('call-data').hidden = !data;
    const select = $('variable-number');
    if (select.options.length === 0) {
      for (let n = 1; n <= 10; n += 1) {
        const option = document.createElement('option');
        option.value = String(n);
        option.textContent = 'Call variable ' + n;
        select.appendChild(option);
      }
    }
    $('variable-set').disabled = !call || !session.online;
  }

  // ---- Email (seeds-uccx.md §2.9) -----------------------------------------------------------
  // The emails this agent holds come from REST (refreshed on contact events and every few
  // seconds); an email's body is read from its mailbox by the node when opened, sanitised there,
  // and shown in a frame with every sandbox restriction on (no scripts, no same-origin).

  const EMAIL_REFRESH_MS = 3000;
  // Drafts are saved in the cluster every 3 minutes while they change (seeds-uccx.md §2.9).
  const DRAFT_AUTOSAVE_MS = 3 * 60 * 1000;

  function emailHeld(contact) {
    return contact.channel === 'email' && contact.state && contact.state.active &&
      (contact.state.active.agents || []).includes(desk.own);
  }

  async function emailRefresh() {
    if (!session.online || !desk.own || desk.role === 'administrator' || email.refreshing) return;
    email.refreshing = true;
    try {
      const contacts = await api('GET', 'contacts');
      email.list = (contacts || []).filter(emailHeld);
      if (email.open && !email.list.some((contact) => contact.id === email.open)) emailClose();
      renderEmail();
    } catch (error) {
      // The next refresh tries again; the connection banner tells of a lost node.
    } finally {
      email.refreshing = false;
    }
  }

  function renderEmail() {
    $('email-pending').textContent = String(email.list.length);
    const list = $('email-list');
    list.replaceChildren();
    for (const contact of email.list) {
      const line = document.createElement('li');
      const open = document.createElement('button');
      open.type = 'button';
      open.dataset.contact = contact.id;
      const from = (contact.customer && (contact.customer.name || contact.customer.address)) || 'Unknown sender';
      open.textContent = (contact.subject || '(no subject)') + ' \u2014 ' + from;
      open.title = contact.subject || '';
      if (email.open === contact.id) open.setAttribute('aria-current', 'true');
      open.addEventListener('click', () => emailOpen(contact.id));
      line.appendChild(open);
      list.appendChild(line);
    }
  }

  function emailClose() {
    email.open = null;
    email.view = null;
    $('email-open').hidden = true;
    $('email-reply-form').reset();
  }

  function fillReply(reply) {
    if (!reply) return;
    $('reply-to').value = (reply.to || []).join(', ');
    $('reply-cc').value = (reply.cc || []).join(', ');
    $('reply-bcc').value = (reply.bcc || []).join(', ');
    $('reply-subject').value = reply.subject || '';
  }

  async function emailOpen(id) {
    let view;
    try {
      view = await api('GET', 'contacts/' + id + '/email');
    } catch (error) {
      showMessage('Open email: ' + error.message, false);
      return;
    }
    email.open = id;
    email.view = view;
    const envelope = view.envelope || {};
    $('email-from').textContent = (envelope.from_name ? envelope.from_name + ' ' : '') + '<' + (envelope.from || '') + '>';
    $('email-subject').textContent = envelope.subject || '(no subject)';
    const body = view.body;
    const frame = $('email-body');
    frame.hidden = !(body && body.html);
    frame.srcdoc = body && body.html ? body.html : '';
    $('email-text').hidden = !body || Boolean(body.html);
    $('email-text').textContent = body ? body.text : '';
    $('email-body-error').hidden = !view.body_error;
    $('email-body-error').textContent = view.body_error ? 'The body could not be read: ' + view.body_error : '';
    const attachments = $('email-attachments');
    attachments.replaceChildren();
    for (const attachment of (body && body.attachments) || []) {
      const line = document.createElement('li');
      const get = document.createElement('button');
      get.type = 'button';
      get.textContent = attachment.name + ' (' + attachment.content_type + ', ' + attachment.size + ' bytes)';
      get.addEventListener('click', () => emailAttachment(id, attachment));
      line.appendChild(get);
      attachments.appendChild(line);
    }
    const responses = $('reply-response');
    responses.replaceChildren();
    for (const response of view.predefined_responses || []) {
      const option = document.createElement('option');
      option.value = String(response.id);
      option.textContent = response.title;
      responses.appendChild(option);
    }
    $('reply-insert').disabled = responses.options.length === 0;
    email.forwarding = false;
    $('reply-send').textContent = 'Send';
    fillReply(view.draft ? view.draft.reply : view.reply);
    $('reply-body').value = view.draft ? view.draft.reply.body : '';
    email.savedText = draftText();
    $('draft-status').textContent = view.draft ? 'Draft restored.' : '';
    $('email-open').hidden = false;
    renderEmail();
  }

  // Attachments are fetched with the session's token and saved, never opened in this origin.
  async function emailAttachment(id, attachment) {
    try {
      const response = await fetch('/api/v1/contacts/' + id + '/email/attachments/' + attachment.index, {
        headers: { Authorization: 'Bearer ' + session.resumeToken },
      });
      if (!response.ok) throw new Error(response.status + ' ' + (await response.text()));
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = attachment.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) {
      showMessage('Attachment: ' + error.message, false);
    }
  }

  // A predefined response goes at the end of the reply (seeds-uccx.md §2.13), as text.
  function insertResponse() {
    const view = email.view;
    const id = Number($('reply-response').value);
    const response = view && (view.predefined_responses || []).find((r) => r.id === id);
    if (!response) return;
    const text = new DOMParser().parseFromString(response.body, 'text/html').body.textContent || '';
    const area = $('reply-body');
    area.value = area.value ? area.value.replace(/\s*$/, '') + '\n\n' + text : text;
    area.focus();
  }

  function addresses(text) {
    return text.split(/[\s,;]+/).filter(Boolean);
  }

  function currentReply() {
    return {
      to: addresses($('reply-to').value),
      cc: addresses($('reply-cc').value),
      bcc: addresses($('reply-bcc').value),
      subject: $('reply-subject').value,
      body: $('reply-body').value,
    };
  }

  function draftText() {
    return JSON.stringify(currentReply());
  }

  // Saves the reply being written when it changed since the last save (or when asked).
  function saveDraft(asked) {
    if (!email.open) return;
    const text = draftText();
    if (!asked && text === email.savedText) return;
    email.savedText = text;
    request({ action: 'save_email_draft', contact: email.open, draft: currentReply() }, 0, 'Save draft');
    $('draft-status').textContent = 'Draft saved at ' + new Date().toLocaleTimeString() + '.';
  }

  // Forward mode: the form addresses someone outside the center; Send forwards the original
  // (attached by the node) with the note typed here.
  function forwardMode() {
    if (!email.view) return;
    email.forwarding = true;
    const subject = (email.view.envelope && email.view.envelope.subject) || '';
    fillReply({ to: [], cc: [], bcc: [], subject: 'Fw: ' + subject });
    $('reply-send').textContent = 'Forward';
    $('reply-to').focus();
  }

  function emailSend(event) {
    event.preventDefault();
    if (!email.open) return;
    if (email.forwarding) {
      request({ action: 'forward_email', contact: email.open, forward: currentReply() }, 0, 'Forward email');
      setTimeout(emailRefresh, 500);
      return;
    }
    request({ action: 'reply_email', contact: email.open, reply: currentReply() }, 0, 'Send email');
    setTimeout(emailRefresh, 500);
  }

  function emailDiscard() {
    if (!email.open) return;
    if (!window.confirm('Discard this email? The reply is lost; the original stays in the mailbox.')) return;
    request({ action: 'discard_email', contact: email.open }, 0, 'Discard email');
    setTimeout(emailRefresh, 500);
  }

  function emailInit() {
    $('btn-digital-ready').addEventListener('click', () =>
      request({ action: 'set_digital_state', state: 'ready' }, 0, 'Ready for chat and email'));
    $('btn-digital-not-ready').addEventListener('click', () =>
      request({ action: 'set_digital_state', state: 'not_ready' }, 0, 'Not ready for chat and email'));
    $('email-reply-form').addEventListener('submit', emailSend);
    $('reply-all').addEventListener('click', () => email.view && fillReply(email.view.reply_all));
    $('reply-insert').addEventListener('click', insertResponse);
    $('email-discard').addEventListener('click', emailDiscard);
    $('reply-save').addEventListener('click', () => saveDraft(true));
    $('email-forward').addEventListener('click', forwardMode);
    setInterval(emailRefresh, EMAIL_REFRESH_MS);
    setInterval(() => saveDraft(false), DRAFT_AUTOSAVE_MS);
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

  // Administration: the spec's settings screens, over the REST API with the session's token
  // (a desktop's resume token is also the user's bearer token). The cluster checks the role.
  const admin = { loaded: false, loading: false };

  function renderAdmin() {
    const isAdmin = desk.role === 'administrator';
    $('admin-view').hidden = !isAdmin;
    $('agent-panels').hidden = isAdmin;
    $('help').hidden = isAdmin;
    if (isAdmin && session.online && !admin.loaded && !admin.loading) adminLoad();
  }

  async function api(method, path, body) {
    const options = { method: method, headers: { Authorization: 'Bearer ' + session.resumeToken } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch('/api/v1/' + path, options);
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(json && json.message ? json.message : response.status + ' ' + text);
    return json;
  }

  function adminSay(text, ok) {
    const line = $('admin-message');
    line.textContent = text;
    line.classList.toggle('info', Boolean(ok));
    line.hidden = !text;
  }

  function csqTags(text) {
    const ids = text.split(/[\s,]+/).filter(Boolean).map(Number);
    return ids.length === 0 ? 'global' : { csqs: ids };
  }

  function tagsText(tags) {
    return tags === 'global' ? 'Global' : 'CSQs ' + ((tags && tags.csqs) || []).join(', ');
  }

  function fillList(id, items, describe, path) {
    const list = $(id);
    list.replaceChildren();
    for (const item of items) {
      const line = document.createElement('li');
      line.dataset.id = item.id;
      const text = document.createElement('span');
      text.textContent = describe(item);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'Delete';
      remove.addEventListener('click', () => adminDo(() => api('DELETE', path + '/' + item.id), 'Deleted.'));
      line.append(text, remove);
      list.appendChild(line);
    }
  }

  async function adminLoad() {
    admin.loading = true;
    try {
      const [channels, categories, responses, signatures] = await Promise.all([
        api('GET', 'settings/channels'), api('GET', 'wrap-up-categories'),
        api('GET', 'predefined-responses'), api('GET', 'email-signatures')]);
      for (const input of $('channels-form').querySelectorAll('input')) {
        if (input.type === 'checkbox') input.checked = Boolean(channels[input.name]);
        else input.value = channels[input.name];
      }
      fillList('wrapup-list', categories, (c) => c.name + ': ' + c.reasons.join(', ') + ' (' + tagsText(c.tags) + ')', 'wrap-up-categories');
      fillList('response-list', responses, (r) => r.title + ' [' + r.channel + '] (' + tagsText(r.tags) + ')', 'predefined-responses');
      fillList('signature-list', signatures, (g) => g.name + ' (' + tagsText(g.tags) + ')', 'email-signatures');
      admin.loaded = true;
    } catch (error) {
      adminSay(error.message, false);
    } finally {
      admin.loading = false;
    }
  }

  // Runs a change, says how it went (the cluster's refusal text if refused), and reloads.
  async function adminDo(change, done) {
    try {
      await change();
      adminSay(done, true);
      await adminLoad();
      return true;
    } catch (error) {
      adminSay(error.message, false);
      return false;
    }
  }

  function adminInit() {
    $('channels-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const body = {};
      for (const input of $('channels-form').querySelectorAll('input')) {
        body[input.name] = input.type === 'checkbox' ? input.checked : Number(input.value);
      }
      adminDo(() => api('PUT', 'settings/channels', body), 'Channel parameters saved.');
    });
    $('wrapup-category-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { name: $('wu-name').value, reasons: $('wu-reasons').value.split('\n').map((r) => r.trim()).filter(Boolean),
        tags: csqTags($('wu-csqs').value) };
      if (await adminDo(() => api('POST', 'wrap-up-categories', body), 'Wrap-up category added.')) $('wrapup-category-form').reset();
    });
    $('response-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { title: $('pr-title').value, channel: $('pr-channel').value, body: $('pr-body').value, tags: csqTags($('pr-csqs').value) };
      if (await adminDo(() => api('POST', 'predefined-responses', body), 'Predefined response added.')) $('response-form').reset();
    });
    $('signature-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { name: $('sg-name').value, content: $('sg-content').value, tags: csqTags($('sg-csqs').value) };
      if (await adminDo(() => api('POST', 'email-signatures', body), 'Email signature added.')) $('signature-form').reset();
    });
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
        for (const cls of ['id', 'name', 'state', 'reason', 'time', 'calls', 'handled', 'logged-in']) {
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
        const monitor = document.createElement('button');
        monitor.type = 'button';
        monitor.dataset.monitor = 'toggle';
        monitor.addEventListener('click', () => {
          if (desk.monitoring === id) request({ action: 'stop_silent_monitor' }, 0, 'Stop Monitor');
          else request({ action: 'start_silent_monitor', agent: id }, 0, 'Silent Monitor');
        });
        buttons.appendChild(monitor);
        for (const [action, label] of [['barge_in', 'Barge In'], ['intercept', 'Intercept'], ['clear', 'Clear Call']]) {
          const button = document.createElement('button');
          button.type = 'button';
          button.textContent = label;
          button.dataset.supervise = action;
          button.addEventListener('click', () => supervise(id, action, label));
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
      const onCall = Boolean(ownCall('talking', entry.agent.id) || ownCall('held', entry.agent.id));
      for (const button of row.querySelectorAll('button')) {
        if (button.dataset.monitor) {
          const mine = desk.monitoring === entry.agent.id;
          button.textContent = mine ? 'Stop Monitor' : 'Silent Monitor';
          button.disabled = entry.status.state === 'logged_out' || (desk.monitoring !== null && !mine);
          continue;
        }
        button.disabled = button.dataset.supervise ? !onCall : !local[button.dataset.action];
      }
      row.classList.toggle('monitored', desk.monitoring === entry.agent.id);
    }
  }

  // The cluster's figures for an agent, advanced to now: a state's time grows while the agent
  // is in it, logged-in time while it is logged in.
  function serverFigures(entry) {
    const record = desk.serverStats && entry ? desk.serverStats.get(entry.agent.id) : null;
    if (!record) return null;
    const stats = record.stats;
    const elapsed = Math.max(0, now() - record.at);
    const state = entry.status.state;
    const spent = (name) => (stats.state_ms[name] || 0) + (name === state ? elapsed : 0);
    const loggedIn = stats.logged_in_ms + (state !== 'logged_out' ? elapsed : 0);
    const handled = (stats.counters.handled_count && stats.counters.handled_count.voice) || 0;
    return { spent: spent, loggedIn: loggedIn, handled: handled };
  }

  function renderTimes() {
    const entry = ownEntry();
    const t = now();
    if (entry) $('stat-time-in-state').textContent = formatDuration(t - entry.since);
    const stats = desk.stats;
    const server = serverFigures(entry);
    if (stats && server) {
      $('stat-handled').textContent = String(stats.handled);
      $('stat-made').textContent = String(stats.made);
      $('stat-not-answered').textContent = String(stats.notAnswered);
      $('stat-logged-in').textContent = formatDuration(server.loggedIn);
      $('stat-ready').textContent = formatDuration(server.spent('ready'));
      $('stat-not-ready').textContent = formatDuration(server.spent('not_ready'));
      $('stat-talk').textContent = formatDuration(server.spent('talking'));
      $('stat-hold').textContent = formatDuration(server.spent('hold'));
      $('stat-work').textContent = formatDuration(server.spent('work_ready') + server.spent('work_not_ready'));
    } else if (stats) {
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
      if (!other) continue;
      row.querySelector('.cell-time').textContent = formatDuration(t - other.since);
      const figures = serverFigures(other);
      row.querySelector('.cell-handled').textContent = figures ? String(figures.handled) : '–';
      row.querySelector('.cell-logged-in').textContent = figures ? formatDuration(figures.loggedIn) : '–';
      const calls = Array.from(desk.calls.values()).filter((call) =>
        call.connections.some((c) => partyAgent(c.party) === other.agent.id));
      row.querySelector('.cell-calls').textContent = calls.length
        ? calls.map((call) => call.connections.find((c) => partyAgent(c.party) === other.agent.id).state).join(', ')
        : '–';
    }
  }

  function showDesk(show) {
    $('desk-view').hidden = !show;
    $('login-view').hidden = show;
    if (!show) {
      admin.loaded = false;
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

  // ---- Call control ---------------------------------------------------------------------------

  function callControl(what, label) {
    request({ action: 'call_control', request: what }, 0, label);
  }

  function dialNumber(label) {
    const number = $('dial-number').value.trim();
    if (!number) {
      showMessage(label + ': enter the number first.', false);
      $('dial-number').focus();
      return null;
    }
    return number;
  }

  // Each button names the calls its request is about: the one the agent talks on (active), the
  // one it holds (held), the one ringing (alerting). The server checks everything again.
  const CALL_ACTIONS = {
    answer: () => {
      const call = ownCall('alerting');
      if (call) callControl({ answer: { call: call.id } }, 'Answer');
    },
    hold: () => {
      const call = ownCall('talking');
      if (call) callControl({ hold: { call: call.id } }, 'Hold');
    },
    retrieve: () => {
      const call = ownCall('held');
      if (call) callControl({ retrieve: { call: call.id } }, 'Retrieve');
    },
    release: () => {
      const call = ownCall('talking') || ownCall('held') || ownCall('alerting');
      if (call) callControl({ clear_connection: { call: call.id } }, 'Release');
    },
    make_call: () => {
      const number = dialNumber('Make Call');
      if (number) callControl({ make_call: { number: number } }, 'Make Call');
    },
    transfer_init: () => consult('transfer', 'Transfer Init'),
    conference_init: () => consult('conference', 'Conference Init'),
    transfer_complete: () => complete('transfer_complete', 'Transfer Complete'),
    conference_complete: () => complete('conference_complete', 'Conference Complete'),
    single_step_transfer: () => {
      const call = ownCall('talking');
      const number = call && dialNumber('Single Step');
      if (number) callControl({ single_step_transfer: { call: call.id, number: number } }, 'Single Step');
    },
    alternate: () => complete('alternate', 'Alternate'),
    reconnect: () => complete('reconnect', 'Reconnect'),
  };

  function consult(purpose, label) {
    const call = ownCall('talking');
    const number = call && dialNumber(label);
    if (number) callControl({ consult: { call: call.id, purpose: purpose, number: number } }, label);
  }

  // Requests about the held call and the active one (the consult call).
  function complete(kind, label) {
    const held = ownCall('held');
    const active = ownCall('talking');
    if (held && active) {
      const body = {};
      body[kind] = { held: held.id, active: active.id };
      callControl(body, label);
    }
  }

  function supervisorCall(kind, label) {
    request({ action: kind, alert: 'consult' }, 0, label);
  }

  // A supervisor's SUPERVISE on an agent's call (the supervisor is the acting agent).
  function supervise(agent, action, label) {
    const call = ownCall('talking', agent) || ownCall('held', agent);
    if (call) request({ action: 'supervise', agent: agent, call: call.id, supervise: action }, 0, label);
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
      t: () => ($(BUTTONS.transfer_complete).disabled ? click('transfer_init') : click('transfer_complete')),
      c: () => ($(BUTTONS.conference_complete).disabled ? click('conference_init') : click('conference_complete')),
      s: () => click('single_step_transfer'),
      d: () => $('dial-number').focus(),
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
    desk.serverStats = null;
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
    for (const [name, action] of Object.entries(CALL_ACTIONS)) {
      $(BUTTONS[name]).addEventListener('click', action);
    }
    $('btn-emergency').addEventListener('click', () => supervisorCall('emergency_call', 'Emergency'));
    $('btn-assist').addEventListener('click', () => supervisorCall('assistance_request', 'Assist'));
    $('dial-form').addEventListener('submit', (event) => {
      event.preventDefault();
      click('make_call');
    });
    $('wrapup-form').addEventListener('submit', (event) => {
      event.preventDefault();
      request({ action: 'set_wrap_up_data', data: $('wrapup-data').value }, 0, 'Set wrap-up data');
    });
    $('variable-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const call = dataCall();
      if (!call) return;
      const variables = {};
      variables[$('variable-number').value] = $('variable-value').value;
      callControl({ set_call_data: { call: call.id, changes: { variables: variables } } }, 'Set call data');
      $('variable-value').value = '';
    });
    $('chat-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const text = $('chat-text').value.trim();
      const to = Number($('chat-to').value);
      if (!text || !to) return;
      request({ action: 'send_chat', to: to, text: text }, 0, 'Chat');
      $('chat-text').value = '';
    });
    $('team-message-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const text = $('team-message-text').value.trim();
      if (!text) return;
      const teams = (session.login && session.login.teams) || [];
      const minutes = Number($('team-message-minutes').value) || 60;
      request({ action: 'publish_team_message', text: text, teams: teams, expiry_minutes: minutes }, 0, 'Team message');
      $('team-message-text').value = '';
    });
    adminInit();
    emailInit();
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
